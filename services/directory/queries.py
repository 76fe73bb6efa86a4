"""The read side of profiles: one profile, what is computed on reading, search and filters.

Free text on PostgreSQL: German full text (the stored `search_vector`, `to_tsvector('german', …)` of
search_text kept by a trigger, so "Bäckereien" finds "Bäckerei") or a folded substring (German compounds:
"kaffee" finds "Kaffeerösterei"). On SQLite: every folded, lightly stemmed word must occur as a substring.
"Open now" is evaluated in Python with the OSM parser, once per distinct opening hours text among the
candidates; the open ones become a SQL condition. The unfiltered list reads its page along the index
(status, name, id); page and total are one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, profile_checks
from services.directory.config import DirectorySettings
from services.directory.models import business_changes as c
from services.directory.models import businesses as b
from services.directory.models import search_index
from services.directory.search_text import search_terms
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


def _conditions(filters: Filters, is_sqlite: bool) -> tuple[list[ColumnElement[bool]], ColumnElement[Any] | None]:
    conditions: list[ColumnElement[bool]] = []
    rank: ColumnElement[Any] | None = None
    if filters.status:
        conditions.append(b.c.status == filters.status)
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
    terms = search_terms(filters.q or "")
    if terms:
        # A term is letters and digits only (search_terms): no LIKE escaping, no quoting in a MATCH.
        # Found through the trigram index on both databases (migration 0014).
        if is_sqlite:
            conditions.extend(_sqlite_matching(terms))
        else:
            folded = and_(*(b.c.search_folded.like(f"%{term}%") for term in terms))
            vector = b.c.search_vector  # to_tsvector('german', search_text), kept by a trigger
            query = func.websearch_to_tsquery(GERMAN, filters.q)
            conditions.append(or_(vector.op("@@")(query), folded))
            rank = func.ts_rank(vector, query)
    return conditions, rank


def _sqlite_matching(terms: list[str]) -> list[ColumnElement[bool]]:
    """Profiles whose folded text contains every term. Terms of three characters or more: phrases of
    one MATCH on the FTS5 trigram table, answered from the index alone. Shorter ones, which a trigram
    index cannot answer: LIKE on the row itself (never a LIKE on the FTS5 table next to a MATCH: that
    crashes SQLite 3.40)."""
    long_terms = [term for term in terms if len(term) >= 3]
    conditions: list[ColumnElement[bool]] = [b.c.search_folded.like(f"%{term}%") for term in terms if len(term) < 3]
    if long_terms:
        phrases = " ".join(f'"{term}"' for term in long_terms)
        matching = select(search_index.c.rowid).where(literal_column("businesses_search").op("MATCH")(phrases))
        conditions.append(literal_column("businesses.rowid").in_(matching))
    return conditions


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


async def _open_hours(session: AsyncSession, conditions: list[ColumnElement[bool]], at: datetime) -> list[str]:
    """The opening hours, among the candidates', that are open at `at`: each distinct text is evaluated
    once (many profiles share a few), and those without hours are never open."""
    query = select(b.c.opening_hours).where(*conditions, b.c.opening_hours.is_not(None)).distinct()
    return [hours for (hours,) in (await session.execute(query)).all() if profile_checks.is_open(hours, at)]


async def search(
    session: AsyncSession,
    filters: Filters,
    *,
    page: int,
    per_page: int,
    is_sqlite: bool,
    columns: tuple[str, ...] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching profiles (whole rows, or only `columns`) and how many match in all."""
    conditions, rank = _conditions(filters, is_sqlite)
    if filters.open_at is not None:
        # "open now" becomes a SQL condition, so ordering, paging and the count stay in the database
        open_hours = await _open_hours(session, conditions, filters.open_at)
        if not open_hours:
            return [], 0
        conditions.append(b.c.opening_hours.in_(open_hours))
    count = select(func.count()).select_from(b).where(*conditions)
    selected = [b.c[name] for name in columns] if columns else list(b.c)
    # Page and total in one statement. Ordered by name, the page is read along the index and the count is
    # a subquery evaluated once; ranked by the full text, every match is read anyway (the rank orders
    # them), so the count comes along as a window instead of a second pass over the German text.
    order: list[ColumnElement[Any]] = [b.c.name]
    total: ColumnElement[Any] = count.scalar_subquery()
    if rank is not None:
        order, total = [rank.desc(), b.c.name], func.count().over()
    query = select(*selected, total.label("total_matching")).where(*conditions)
    query = query.order_by(*order, b.c.id).limit(per_page).offset((page - 1) * per_page)
    rows = [dict(row._mapping) for row in (await session.execute(query)).all()]
    totals = [row.pop("total_matching") for row in rows]
    if totals:
        return rows, totals[0]
    # past the last page (or nothing matches): the count on its own
    return [], (await session.execute(count)).scalar_one() if page > 1 else 0
