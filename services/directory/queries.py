"""The read side of profiles: one profile, what is computed on reading, search and filters.

Free text on PostgreSQL: German full text (`to_tsvector('german', …)`, so "Bäckereien" finds "Bäckerei")
or a folded substring (German compounds: "kaffee" finds "Kaffeerösterei"). On SQLite: every folded,
lightly stemmed word must occur as a substring. "Open now" is evaluated in Python with the OSM parser,
after the SQL filters; at the size of a city directory (hundreds of profiles) that is cheap.
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
from services.directory.search_text import search_terms
from shared.auth import hash_token

GERMAN: ColumnElement[Any] = literal_column("'german'::regconfig")
PRIVATE_COLUMNS = ("edit_token_hash", "search_text", "search_folded", "stale_noticed_for")


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
        folded = and_(*(b.c.search_folded.contains(term, autoescape=True) for term in terms))
        if is_sqlite:
            conditions.append(folded)
        else:
            vector = func.to_tsvector(GERMAN, b.c.search_text)
            query = func.websearch_to_tsquery(GERMAN, filters.q)
            conditions.append(or_(vector.op("@@")(query), folded))
            rank = func.ts_rank(vector, query)
    return conditions, rank


async def search(
    session: AsyncSession, filters: Filters, *, page: int, per_page: int, is_sqlite: bool
) -> tuple[list[dict[str, Any]], int]:
    conditions, rank = _conditions(filters, is_sqlite)
    order = [rank.desc(), b.c.name] if rank is not None else [b.c.name]
    query = select(b).where(*conditions).order_by(*order, b.c.id)
    if filters.open_at is None:
        total = (await session.execute(select(func.count()).select_from(b).where(*conditions))).scalar_one()
        rows = (await session.execute(query.limit(per_page).offset((page - 1) * per_page))).all()
        return [dict(row._mapping) for row in rows], total
    # Only id and hours of every candidate (whole rows cost most of the time: JSON, instants), then the
    # shown page's rows.
    hours = query.with_only_columns(b.c.id, b.c.opening_hours)
    open_ids = [
        row.id
        for row in (await session.execute(hours)).all()
        if profile_checks.is_open(row.opening_hours, filters.open_at)
    ]
    shown = open_ids[(page - 1) * per_page : page * per_page]
    rows = (await session.execute(select(b).where(b.c.id.in_(shown)))).all() if shown else []
    by_id = {row.id: dict(row._mapping) for row in rows}
    return [by_id[business_id] for business_id in shown], len(open_ids)
