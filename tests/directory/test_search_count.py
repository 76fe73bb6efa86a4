"""The search counts its matches only up to a bound (queries.SEARCH_COUNT_CAP, bench/data_growth.py): exactly
below it, "more than" past it, with the next page offered while more match; the office counts exactly.
Its order: few matches ranked by the German full text on PostgreSQL (by name on SQLite), many newest in
the directory first, read backwards along the index (status, published_at, id) and stopping after the
page; without free text the count is part of the page's statement. A small cap stands in for 200, so
that 800 profiles are enough. PostgreSQL parses the query text once per statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from services.directory import queries
from tests.directory.search_data import NOW, PROFILES, filled, profile
from tests.support.plans import plan_of

CAP = 50
BAKERIES = 80  # published profiles with "Bäckerei" among the 800 (one in eight; drafts: every tenth, so 20 of them)
# Three that match "Brot" (published the newest first below): Zimtladen says it four times, the others once.
BREAD = [
    profile(
        PROFILES + number,
        name=name,
        description=description,
        offerings=["Brot"],
        status="published",
        published_at=NOW - timedelta(days=number),
    )
    for number, (name, description) in enumerate(
        [
            ("Kornkammer", "Obst und Gemüse"),
            ("Zimtladen", "Brot, Brot und Brot: Brot aus dem Holzofen"),
            ("Apfelhof", "Obst und Gemüse"),
        ]
    )
]


@pytest.fixture
async def db(database_url, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", CAP)
    async with filled(database_url, extra=BREAD) as database:
        yield database


@pytest.fixture
async def postgres_db(postgres_database):
    async with filled(postgres_database) as database:
        yield database


@pytest.fixture
async def sqlite_db(tmp_path, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", CAP)
    async with filled(f"sqlite:///{tmp_path / 'directory.sqlite3'}") as database:
        yield database


async def search(db, q: str, page: int = 1, per_page: int = 20, **options) -> queries.Found:
    async with db.reading() as session:
        filters = queries.Filters(q=q)
        return await queries.search(session, filters, page=page, per_page=per_page, is_sqlite=db.is_sqlite, **options)


def names(found: queries.Found) -> list[str]:
    return [row["name"] for row in found.rows]


async def test_the_count_is_exact_up_to_the_cap_and_more_than_past_it(db):
    few = await search(db, "Bäckerei Nummer 0000")  # 00001 … 00009: the published bakeries among them
    many = await search(db, "Bäckerei")
    assert (few.total, few.exact) == (1, True)
    assert (many.total, many.exact) == (CAP, False) and len(many.rows) == 20
    assert many.more_after(1, 20) and not few.more_after(1, 20)


async def test_the_pages_go_on_past_the_cap_until_every_match_was_listed_once_newest_first(db):
    pages = [await search(db, "Bäckerei", page=page) for page in range(1, 5)]
    assert [(found.total, found.exact) for found in pages] == [
        (CAP, False),
        (CAP, False),
        (60, False),  # counted as far as the page needs to know whether another follows
        (BAKERIES, True),
    ]
    assert [found.more_after(page, 20) for page, found in enumerate(pages, start=1)] == [True, True, True, False]
    listed = [name for found in pages for name in names(found)]
    assert len(listed) == BAKERIES and listed == sorted(listed, reverse=True), "the later number, the newer"
    assert [found.newest_first for found in pages] == [True] * 4


async def test_past_the_last_page_the_count_is_exact_and_the_page_empty(db):
    beyond = await search(db, "Bäckerei", page=5)
    assert (beyond.rows, beyond.total, beyond.exact) == ([], BAKERIES, True)


async def test_the_office_counts_every_match_exactly_and_lists_many_by_name(db):
    found = await search(db, "Bäckerei", exact_count=True)
    assert (found.total, found.exact, found.newest_first) == (BAKERIES, True, False) and len(found.rows) == 20
    assert names(found) == sorted(names(found)) and names(found)[0] == "Bäckerei Nummer 00008"


async def test_few_matches_are_ranked_by_the_full_text_on_postgresql_many_newest_first(db, monkeypatch):
    ranked = await search(db, "Brot")
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 2)
    many = await search(db, "Brot")
    assert (many.total, many.exact, many.newest_first) == (3, True, True), "counted as far as a page of 20 needs"
    assert names(many) == ["Kornkammer", "Zimtladen", "Apfelhof"], "more than the cap: the newest first"
    assert (ranked.total, ranked.exact, ranked.newest_first) == (3, True, False)
    if db.is_sqlite:  # no rank on SQLite: by name
        assert names(ranked) == ["Apfelhof", "Kornkammer", "Zimtladen"]
    else:
        assert names(ranked) == ["Zimtladen", "Apfelhof", "Kornkammer"], "the one that says it four times first"


async def test_a_page_of_many_matches_on_sqlite_walks_the_newest_first_index_and_stops(sqlite_db):
    plan = await plan_of(sqlite_db, lambda: search(sqlite_db, "Bäckerei"), "ORDER BY")
    assert "INDEX ix_businesses_status_published_at_id" in plan and "TEMP B-TREE" not in plan, plan
    assert "LIST SUBQUERY" in plan, "the matches are a list each row is looked up in"


async def test_a_page_of_many_matches_on_postgresql_walks_the_newest_first_index_and_stops(postgres_db, monkeypatch):
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", CAP)
    plan = await plan_of(postgres_db, lambda: search(postgres_db, "Bäckerei"), "ORDER BY")
    assert "Index Scan Backward using ix_businesses_status_published_at_id" in plan, plan
    assert "Sort" not in plan and "Bitmap" not in plan, "no match read but those passed before the page is full"


async def test_a_page_of_few_matches_on_sqlite_starts_from_the_trigram_table(sqlite_db):
    plan = await plan_of(sqlite_db, lambda: search(sqlite_db, "Bäckerei Nummer 0000"), "ORDER BY")
    assert plan.splitlines()[0].endswith("SCAN businesses_search VIRTUAL TABLE INDEX 0:M1"), plan


async def test_the_count_on_sqlite_is_driven_by_the_trigram_table_and_stops_at_its_bound(sqlite_db):
    plan = await plan_of(sqlite_db, lambda: search(sqlite_db, "Bäckerei"), "count(*)")
    steps = [line.split(" ", 3)[3] for line in plan.splitlines()]
    reading = steps.index("SCAN businesses_search VIRTUAL TABLE INDEX 0:M1")
    assert steps[reading + 1] == "SEARCH businesses USING INTEGER PRIMARY KEY (rowid=?)", plan


async def test_postgresql_parses_the_query_once_per_statement_not_for_every_row(postgres_db):
    plan = await plan_of(postgres_db, lambda: search(postgres_db, "Bäckerei"), "count(*)")
    assert "InitPlan 1 (returns $0)" in plan and "search_vector @@ $0" in plan, "parsed before the scan"


async def test_without_free_text_the_page_and_its_count_are_one_statement(db):
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.reading() as session:
            found = await queries.search(
                session, queries.Filters(category="einzelhandel"), page=1, per_page=20, is_sqlite=db.is_sqlite
            )
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert (found.total, found.exact, len(found.rows)) == (CAP, False, 20)
    assert len([statement for statement in statements if "FROM businesses" in statement]) == 1, statements


async def test_a_generic_plan_of_the_count_reads_no_bitmap_of_every_published_profile(postgres_db):
    async def blumen_delivered() -> None:
        async with postgres_db.reading() as session:
            filters = queries.Filters(q="Blumen", delivery=True)
            await queries.search(session, filters, page=1, per_page=20, is_sqlite=False)

    plan = await plan_of(postgres_db, blumen_delivered, "count(*)", generic=True)
    assert "ix_businesses_status_" not in plan and "'published'" in plan, plan
