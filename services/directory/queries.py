"""Search and filters over profiles.

Free text on PostgreSQL: German full text (`to_tsvector('german', …)`, so "Bäckereien" finds "Bäckerei")
or a folded substring (German compounds: "kaffee" finds "Kaffeerösterei"). On SQLite: every folded,
lightly stemmed word must occur as a substring. "Open now" is evaluated in Python with the OSM parser,
after the SQL filters; at the size of a city directory (hundreds of profiles) that is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain
from services.directory.handlers import as_profile
from services.directory.models import businesses as b

GERMAN = literal_column("'german'::regconfig")


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    category: str | None = None
    open_at: datetime | None = None  # only profiles open at this moment
    delivery: bool | None = None
    pickup: bool | None = None
    accepts_gutschein: bool | None = None
    online_shop: bool | None = None
    fairtrade: bool | None = None  # offers Fairtrade products at all
    status: str | None = domain.PUBLISHED  # None: every status (the office only)
    stale_before: datetime | None = None  # only profiles not touched since (the office only)


def _conditions(filters: Filters, is_sqlite: bool) -> tuple[list, object | None]:
    conditions, rank = [], None
    if filters.status:
        conditions.append(b.c.status == filters.status)
    if filters.category:
        conditions.append(b.c.category == filters.category)
    for flag in ("delivery", "pickup", "accepts_gutschein", "online_shop"):
        value = getattr(filters, flag)
        if value is not None:
            conditions.append(b.c[flag] == value)
    if filters.fairtrade is not None:
        conditions.append((b.c.fairtrade_products > 0) if filters.fairtrade else (b.c.fairtrade_products == 0))
    if filters.stale_before is not None:
        conditions.append(b.c.touched_at <= filters.stale_before)
    terms = domain.search_terms(filters.q or "")
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
) -> tuple[list[dict], int]:
    conditions, rank = _conditions(filters, is_sqlite)
    order = [rank.desc(), b.c.name] if rank is not None else [b.c.name]
    query = select(b).where(*conditions).order_by(*order, b.c.id)
    if filters.open_at is None:
        total = (await session.execute(select(func.count()).select_from(b).where(*conditions))).scalar_one()
        rows = (await session.execute(query.limit(per_page).offset((page - 1) * per_page))).all()
        return [as_profile(row) for row in rows], total
    profiles = [as_profile(row) for row in (await session.execute(query)).all()]
    open_ones = [p for p in profiles if domain.is_open(p["opening_hours"], filters.open_at)]
    start = (page - 1) * per_page
    return open_ones[start : start + per_page], len(open_ones)
