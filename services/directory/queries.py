"""The read side of profiles: one profile, what is computed on reading, search and filters.

Free text on PostgreSQL: German full text (the stored `search_vector`, `to_tsvector('german', …)` of
search_text kept by a trigger, so "Bäckereien" finds "Bäckerei") or a folded substring (German compounds:
"kaffee" finds "Kaffeerösterei"). On SQLite: every folded, lightly stemmed word must occur as a substring.
"Open now" is evaluated in Python with the OSM parser, once per distinct opening hours text among the
candidates; the open ones become a SQL condition.

How many match is counted for the public only up to SEARCH_COUNT_CAP (200: past it "more than 200"),
for the office exactly. With free text the order of the page depends on it: at most 200 matches are read
in full, ranked by the German full text on PostgreSQL (then by name); more are listed newest in the
directory first (latest `published_at`), read backwards along the index (status, published_at, id)
until the page is full (for the office by name). A rank over hundreds of matches of one common word
says little, ranking or sorting them by name reads every one (which grows with the data), and the
person is asked to narrow the search instead. The names are no order to read them in either: they
share their words with the text searched ("Bäckerei …"), so the names passed before the page is full
grow with the data; the publication dates do not depend on the words, and for a common word that walk
stays as short as the directory grows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, FromClause, Select, Text, and_, func, literal, literal_column, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, profile_checks
from services.directory.config import DirectorySettings
from services.directory.models import business_changes as c
from services.directory.models import businesses as b
from services.directory.models import search_index
from services.directory.search_text import search_terms, trigrams
from shared.auth import hash_token

GERMAN: ColumnElement[Any] = literal_column("'german'::regconfig")
PRIVATE_COLUMNS = ("edit_token_hash", "search_text", "search_folded", "search_vector", "stale_noticed_for")


def view(
    profile: dict[str, Any], now: datetime, settings: DirectorySettings, open_at: datetime | None = None
) -> dict[str, Any]:
    """The profile with what is computed on reading: label, open now (or at `open_at`), completeness,
    staleness; without the columns nobody outside sees."""
    score, missing = profile_checks.completeness(profile)
    shown = {key: value for key, value in profile.items() if key not in PRIVATE_COLUMNS}
    return shown | {
        "category_label": domain.CATEGORIES[profile["category"]].de,
        "open_now": profile_checks.is_open(profile["opening_hours"], open_at or now),
        "completeness": score,
        "missing": missing,
        "stale": profile_checks.is_stale(profile["touched_at"], now, settings.stale_after_months),
    }


async def owner_of_token(session: AsyncSession, token: str) -> str | None:
    """The profile this edit token belongs to (None: nobody issued it)."""
    query = select(b.c.id).where(b.c.edit_token_hash == hash_token(token))
    return (await session.execute(query)).scalar_one_or_none()


async def profile(session: AsyncSession, business_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(b).where(b.c.id == business_id))).first()
    return dict(row._mapping) if row else None


# --- changes waiting for the office's review (owner and office only) --------------------------------


def _changes_query() -> Any:
    return select(c, b.c.name.label("business_name")).join(b, b.c.id == c.c.business_id)


async def pending_changes(session: AsyncSession, business_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The change waiting for review of each of these profiles that has one."""
    if not business_ids:
        return {}
    query = _changes_query().where(c.c.business_id.in_(business_ids), c.c.status == domain.PROPOSAL_PENDING)
    return {row.business_id: dict(row._mapping) for row in (await session.execute(query)).all()}


async def changes_of(session: AsyncSession, business_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """A profile's proposed changes, newest first: what waits, what was approved, rejected (with the
    office's note), superseded or withdrawn."""
    query = _changes_query().where(c.c.business_id == business_id)
    rows = (await session.execute(query.order_by(c.c.proposed_at.desc(), c.c.id).limit(limit))).all()
    return [dict(row._mapping) for row in rows]


async def review_queue(
    session: AsyncSession, *, status: str, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """The office's list: changes in this status, the longest waiting first."""
    total = (await session.execute(select(func.count()).select_from(c).where(c.c.status == status))).scalar_one()
    query = _changes_query().where(c.c.status == status).order_by(c.c.proposed_at, c.c.id)
    rows = (await session.execute(query.limit(per_page).offset((page - 1) * per_page))).all()
    return [dict(row._mapping) for row in rows], total


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    category: str | None = None
    open_at: datetime | None = None  # only profiles open at this moment
    delivery: bool | None = None
    pickup: bool | None = None
    accepts_gutschein: bool | None = None
    sells_gutschein: bool | None = None
    online_shop: bool | None = None
    fairtrade: bool | None = None  # offers Fairtrade products at all
    status: str | None = domain.PUBLISHED  # None: every status (the office only)
    stale_before: datetime | None = None  # only profiles not touched since (the office only)


def _filtered(filters: Filters) -> list[ColumnElement[bool]]:
    """The conditions of every filter but the free text."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        # In the statement's text, not a parameter: a prepared statement's generic plan (PostgreSQL, after five
        # runs) would otherwise guess half the rows published and join a bitmap of every published profile
        # to the matches of the words (bench/README.md, "Newest first").
        conditions.append(b.c.status == literal(filters.status, literal_execute=True))
    if filters.category:
        conditions.append(b.c.category == filters.category)
    for flag in ("delivery", "pickup", "accepts_gutschein", "sells_gutschein", "online_shop"):
        value = getattr(filters, flag)
        if value is not None:
            conditions.append(b.c[flag] == value)
    if filters.fairtrade is not None:
        conditions.append((b.c.fairtrade_products > 0) if filters.fairtrade else (b.c.fairtrade_products == 0))
    if filters.stale_before is not None:
        conditions.append(b.c.touched_at <= filters.stale_before)
    return conditions


Many = Literal["newest", "by name"]  # how a page of many matches of free text is ordered


@dataclass(frozen=True)
class _Question:
    """A search in SQL: the rows it reads from (on SQLite with free text: businesses joined with the
    matches of the FTS5 table), what they must meet, and the full-text rank (PostgreSQL, few matches)."""

    rows: FromClause
    conditions: list[ColumnElement[bool]]
    rank: ColumnElement[Any] | None = None
    words: bool = False  # free text: how a page is read depends on how many match
    newest_first: bool = False  # many matches: newest in the directory first, along (status, published_at, id)

    def where(self, *conditions: ColumnElement[bool]) -> _Question:
        return replace(self, conditions=[*self.conditions, *conditions])


def _question(
    filters: Filters, is_sqlite: bool, *, open_hours: list[str] | None = None, many: Many | None = None
) -> _Question:
    """The search as SQL; `open_hours`: only profiles with these opening hours ("open now").
    `many`: for a page of many matches, read along an index and stop after the page: "newest" along
    (status, published_at, id), "by name" (the office) along (status, name, id); otherwise (None) the
    matches of the free text are where reading starts."""
    terms = search_terms(filters.q or "")
    question = _Question(b, _filtered(filters))
    if open_hours is not None:
        question = question.where(b.c.opening_hours.in_(open_hours))
    if not terms:
        return question
    question = replace(question, words=True, newest_first=many == "newest")
    # A term is letters and digits only (search_terms): no LIKE escaping, no quoting in a MATCH.
    # Found through a trigram index on both databases (migrations 0014, 0015).
    if is_sqlite:
        return _sqlite_matching(question, terms, along_index=many is not None)
    folded = and_(*(b.c.search_folded.like(f"%{term}%") for term in terms))
    vector = b.c.search_vector  # to_tsvector('german', search_text), kept by a trigger
    # Parsed once per statement (a scalar subquery, evaluated before the scan). asyncpg prepares statements,
    # and PostgreSQL may switch a prepared statement to a generic plan after five runs: there a call inside
    # the condition parses the text again for every row (the ranked page of a common word took twice as long).
    query = select(func.websearch_to_tsquery(GERMAN, filters.q)).scalar_subquery()
    if question.newest_first:
        # Checked on each row passed along the index, without the trigram condition below: an OR whose one
        # side no index answers (LIKE '%…%') cannot be read from the GIN indexes. With it, the planner (which
        # cannot tell how many match while the query text is a subquery) would read and sort every match.
        return question.where(or_(vector.op("@@")(query), folded))
    pieces = sorted(set().union(*(trigrams(term) for term in terms)))
    if pieces:  # the rows holding every piece, from the index on search_trigrams(search_folded); LIKE decides.
        # LIKE comes first: a plan that filters rows instead of reading the index cuts no text into pieces
        # for the rows LIKE already turned away.
        holding = func.search_trigrams(b.c.search_folded, type_=ARRAY(Text)).contains(literal(pieces, ARRAY(Text)))
        folded = and_(folded, holding)
    matching = question.where(or_(vector.op("@@")(query), folded))
    return matching if many else replace(matching, rank=func.ts_rank(vector, query))  # many: the office's, by name


def _sqlite_matching(question: _Question, terms: list[str], *, along_index: bool) -> _Question:
    """Profiles whose folded text contains every term. Terms of three characters or more: phrases of
    one MATCH on the FTS5 trigram table, answered from the index alone. Shorter ones, which a trigram
    index cannot answer: LIKE on the row itself (never a LIKE on the FTS5 table next to a MATCH: that
    crashes SQLite 3.40).

    The matches are joined, so that the FTS5 table drives the read and streams: a capped count stops
    after its bound. A page of many matches, read newest first along the index (status, published_at, id),
    looks each row up in the list of matches instead: written plainly as `rowid IN (…)`, SQLite would start
    from the list and sort every match; the unary plus (SQLite's documented way to keep a term from
    choosing the index) leaves the list a lookup while the index is walked. Never the FTS5 table per row
    (a correlated MATCH runs the whole query each time)."""
    long_terms = [term for term in terms if len(term) >= 3]
    question = question.where(*(b.c.search_folded.like(f"%{term}%") for term in terms if len(term) < 3))
    if not long_terms:
        return question
    match = literal_column("businesses_search").op("MATCH")(" ".join(f'"{term}"' for term in long_terms))
    if along_index:
        return question.where(literal_column("+businesses.rowid").in_(select(search_index.c.rowid).where(match)))
    joined = question.rows.join(search_index, search_index.c.rowid == literal_column("businesses.rowid"))
    return replace(question, rows=joined).where(match)


# What a search result card shows (pages_public.py, search.html): the page reads only these columns, not
# the descriptions, JSON lists, instants and search documents of whole rows.
CARD_COLUMNS = (
    "id", "name", "category", "street", "postal_code", "city", "phone", "opening_hours",
    "delivery", "pickup", "accepts_gutschein", "sells_gutschein", "fairtrade_products",
)  # fmt: skip


def listed(profile: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A search result as the page lists it (the CARD_COLUMNS): with its category and open now."""
    return profile | {
        "category_label": domain.CATEGORIES[profile["category"]].de,
        "open_now": profile_checks.is_open(profile["opening_hours"], now),
    }


async def _open_hours(session: AsyncSession, question: _Question, at: datetime) -> list[str]:
    """The opening hours, among the candidates', that are open at `at`: each distinct text is evaluated
    once (many profiles share a few), and those without hours are never open."""
    query = select(b.c.opening_hours).select_from(question.rows).where(*question.conditions)
    query = query.where(b.c.opening_hours.is_not(None)).distinct()
    return [hours for (hours,) in (await session.execute(query)).all() if profile_checks.is_open(hours, at)]


# The public search counts its matches only up to this many, then says "more than 200" ("Mehr als
# 200 Treffer"). An exact count reads every match, and a common word matches more profiles the more
# there are (in bench/data_growth.py one profile in nine: 1,000 matches among 10,000); nobody pages
# through 200 results, a person shown "more than 200" is better served by narrowing the search. Up to
# this many matches a page may also read them all: ranked by the German full text on PostgreSQL, sorted
# by name from the matches on SQLite. The office counts exactly (search's `exact_count`).
SEARCH_COUNT_CAP = 200


@dataclass(frozen=True)
class Found:
    """One page of matching profiles and how many match: `total` exactly, or (exact False) more."""

    rows: list[dict[str, Any]]
    total: int
    exact: bool = True
    newest_first: bool = False  # many matches of free text: newest in the directory first (else ranked or by name)

    def more_after(self, page: int, per_page: int) -> bool:
        """Whether matches follow the page `page`: more than counted, or more than the pages so far."""
        return not self.exact or self.total > page * per_page


def _counting(question: _Question, up_to: int | None) -> Select[int]:
    """How many match, counting stops after `up_to` + 1 (None: counts all)."""
    matching = select(literal(1)).select_from(question.rows).where(*question.conditions)
    return select(func.count()).select_from(matching.limit(None if up_to is None else up_to + 1).subquery())


def _counted(counted: int, up_to: int | None) -> tuple[int, bool]:
    """The total and whether it is exact: past `up_to`, "more than `up_to`"."""
    return (counted, True) if up_to is None or counted <= up_to else (up_to, False)


def _order(question: _Question) -> list[ColumnElement[Any]]:
    if question.newest_first:
        return [b.c.published_at.desc(), b.c.id.desc()]
    return [b.c.name, b.c.id] if question.rank is None else [question.rank.desc(), b.c.name, b.c.id]


def _page(question: _Question, columns: tuple[str, ...] | None, page: int, per_page: int) -> Select[Any]:
    order = _order(question)
    selected = [b.c[name] for name in columns] if columns else list(b.c)
    query = select(*selected).select_from(question.rows).where(*question.conditions).order_by(*order)
    return query.limit(per_page).offset((page - 1) * per_page)


async def _page_with_its_count(
    session: AsyncSession,
    question: _Question,
    up_to: int | None,
    columns: tuple[str, ...] | None,
    page: int,
    per_page: int,
) -> Found:
    """The page and the count in one statement (a scalar subquery evaluated once); past the last page,
    where no row carries it, the count on its own (on the first, nothing matches)."""
    counting = _counting(question, up_to)
    query = _page(question, columns, page, per_page).add_columns(counting.scalar_subquery().label("total_matching"))
    rows = [dict(row._mapping) for row in (await session.execute(query)).all()]
    totals = [row.pop("total_matching") for row in rows]
    if totals or page == 1:
        return Found(rows, *_counted(totals[0] if totals else 0, up_to))
    return Found(rows, *_counted((await session.execute(counting)).scalar_one(), up_to))


async def search(
    session: AsyncSession,
    filters: Filters,
    *,
    page: int,
    per_page: int,
    is_sqlite: bool,
    columns: tuple[str, ...] | None = None,
    exact_count: bool = False,
) -> Found:
    """One page of matching profiles (whole rows, or only `columns`) and how many match: exactly up to
    SEARCH_COUNT_CAP (or as far as the page needs to know whether another follows), past it "more than"
    (`exact_count`: always exactly, for the office).

    With free text the count comes first, and the page depends on it. Few matches (at most
    SEARCH_COUNT_CAP): the page reads them all, ranked by the German full text on PostgreSQL (then by
    name; on SQLite by name). More: newest in the directory first, read backwards along the index (status,
    published_at, id) until the page is full: a rank over hundreds of matches of a common word says
    little, and the person is asked to narrow the search (the office, `exact_count`: by name). Without free
    text the page is by name whatever the count, and the count goes along in its statement."""
    open_hours = None
    if filters.open_at is not None:
        # "open now" becomes a SQL condition, so ordering, paging and the count stay in the database
        open_hours = await _open_hours(session, _question(filters, is_sqlite), filters.open_at)
        if not open_hours:
            return Found([], 0)
    question = _question(filters, is_sqlite, open_hours=open_hours)
    up_to = None if exact_count else max(SEARCH_COUNT_CAP, page * per_page)
    if not question.words:
        return await _page_with_its_count(session, question, up_to, columns, page, per_page)
    total, exact = _counted((await session.execute(_counting(question, up_to))).scalar_one(), up_to)
    if exact and total <= (page - 1) * per_page:  # nothing matches, or past the last page
        return Found([], total, exact)
    if not (exact and total <= SEARCH_COUNT_CAP):
        # the office, which counts exactly and may list profiles never published, keeps the names' order
        question = _question(filters, is_sqlite, open_hours=open_hours, many="by name" if exact_count else "newest")
    rows = (await session.execute(_page(question, columns, page, per_page))).all()
    return Found([dict(row._mapping) for row in rows], total, exact, question.newest_first)
