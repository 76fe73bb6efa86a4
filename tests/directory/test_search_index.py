"""Free text and "open now" are answered from indexes (migration 0014, bench/data_growth.py): on SQLite an
FTS5 trigram table kept by triggers, on both the (status, opening_hours) index. The answers stay those
of a plain substring match, through renames and deletions."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from services.directory import queries
from services.directory.models import businesses
from services.directory.search_text import fold, search_columns
from tests.directory.search_data import HOURS, NOW, PROFILES, filled, profile
from tests.support.plans import plan_of


@pytest.fixture
async def db(database_url):
    async with filled(database_url) as database:
        yield database


@pytest.fixture
async def sqlite_db(tmp_path):
    async with filled(f"sqlite:///{tmp_path / 'directory.sqlite3'}") as database:
        yield database


async def found(db, **filters) -> tuple[list[str], int]:
    async with db.reading() as session:
        result = await queries.search(
            session, queries.Filters(**filters), page=1, per_page=PROFILES, is_sqlite=db.is_sqlite, columns=("id",)
        )
    assert result.exact, "a page of all profiles counts them exactly"
    return [row["id"] for row in result.rows], result.total


def expected(rows: list[dict], *terms: str) -> set[str]:
    """What a plain substring match over the folded text of published profiles finds."""
    return {
        row["id"]
        for row in rows
        if row["status"] == "published" and all(fold(term) in row["search_folded"] for term in terms)
    }


@pytest.mark.parametrize(
    "query, terms",
    [
        ("Bäckerei", ["baeckerei"]),
        ("ckerei", ["ckerei"]),  # a part of a word
        ("Optik 00013", ["optik", "00013"]),
        ("Blumen x", ["blumen", "x"]),  # a term too short for a trigram next to one that is not
        ("a", ["a"]),
        ("nichts_da", ["nichts", "da"]),  # an underscore separates words (never a LIKE wildcard)
    ],
)
async def test_free_text_finds_what_a_substring_match_finds(db, query, terms):
    rows = [profile(i) for i in range(PROFILES)]
    ids, total = await found(db, q=query)
    want = expected(rows, *terms)
    if db.is_sqlite:  # PostgreSQL adds the German full text's word forms to the substring match
        assert set(ids) == want
    else:
        assert want <= set(ids)
    assert total == len(ids)


async def test_the_index_follows_a_rename_and_a_deletion(db):
    async with db.write_connection() as conn:
        renamed = profile(1, name="Weltladen am Gleiwitzer Platz") | {"id": "b0000001"}
        await conn.execute(update(businesses).where(businesses.c.id == "b0000001").values(**search_columns(renamed)))
        await conn.execute(delete(businesses).where(businesses.c.id == "b0000003"))
    assert (await found(db, q="Gleiwitzer"))[0] == ["b0000001"]
    assert "b0000001" not in (await found(db, q="Café Nummer 00001"))[0]
    assert (await found(db, q="Nummer 00003"))[0] == []


async def test_free_text_on_sqlite_is_read_from_the_trigram_table(sqlite_db):
    plan = await plan_of(sqlite_db, lambda: found(sqlite_db, q="Bäckerei"), "FROM businesses")
    assert "businesses_search VIRTUAL TABLE INDEX" in plan


async def test_open_now_finds_the_profiles_open_at_that_moment(db):
    ids, total = await found(db, open_at=NOW)
    rows = [profile(i) for i in range(PROFILES)]
    assert set(ids) == {row["id"] for row in rows if row["status"] == "published" and row["opening_hours"] == HOURS[0]}
    assert total == len(ids)


async def test_open_now_on_sqlite_reads_the_opening_hours_from_the_index_alone(sqlite_db):
    # PostgreSQL reads them from the table at this size, and stays flat at ten times it (bench/README.md)
    plan = await plan_of(sqlite_db, lambda: found(sqlite_db, open_at=NOW), "DISTINCT")
    assert "COVERING INDEX ix_businesses_status_opening_hours" in plan


@pytest.fixture
async def postgresql_db(postgres_database):
    """The embedded test server has no pg_trgm: the trigram index is built without it (migration 0015).
    `filled` leaves the table vacuumed and analysed, as autovacuum would (tests/support/plans.analyze)."""
    async with filled(postgres_database) as database:
        yield database


async def test_free_text_on_postgresql_is_read_from_the_trigram_index(postgresql_db):
    plan = await plan_of(postgresql_db, lambda: found(postgresql_db, q="Gleiwitzer"), "FROM businesses")
    assert "Bitmap Index Scan on ix_businesses_search_trigrams" in plan, plan
    assert "Bitmap Index Scan on ix_businesses_search_vector" in plan  # the German full text beside it
