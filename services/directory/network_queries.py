"""The read side of the networks: the office's overview, a business's badges, a public member list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.domain import PUBLISHED
from services.directory.models import businesses, network_announcements, network_members, networks

ANNOUNCEMENTS_SHOWN = 5


async def all_networks(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(networks).order_by(networks.c.position))
    return [dict(row._mapping) for row in rows]


async def network(session: AsyncSession, slug: str) -> dict[str, Any] | None:
    row = (await session.execute(select(networks).where(networks.c.slug == slug))).first()
    return dict(row._mapping) if row else None


async def members(session: AsyncSession, slug: str, *, published_only: bool) -> list[dict[str, Any]]:
    b = businesses
    query = (
        select(b.c.id, b.c.name, b.c.status, b.c.category, b.c.city, b.c.owner_email, network_members.c.joined_at)
        .join(network_members, network_members.c.business_id == b.c.id)
        .where(network_members.c.network == slug)
        .order_by(b.c.name, b.c.id)
    )
    if published_only:
        query = query.where(b.c.status == PUBLISHED)
    return [dict(row._mapping) for row in await session.execute(query)]


async def overview(session: AsyncSession) -> list[dict[str, Any]]:
    """Every network with all its members (any status) and its latest announcements, for the office."""
    found = []
    for item in await all_networks(session):
        a = network_announcements
        latest = await session.execute(
            select(a).where(a.c.network == item["slug"]).order_by(a.c.sent_at.desc()).limit(ANNOUNCEMENTS_SHOWN)
        )
        found.append(
            item
            | {
                "members": await members(session, item["slug"], published_only=False),
                "announcements": [dict(row._mapping) for row in latest],
            }
        )
    return found


async def networks_of(session: AsyncSession, business_id: str) -> list[dict[str, Any]]:
    """The networks a business is a member of (the badges on its page)."""
    query = (
        select(networks.c.slug, networks.c.name)
        .join(network_members, network_members.c.network == networks.c.slug)
        .where(network_members.c.business_id == business_id)
        .order_by(networks.c.position)
    )
    return [dict(row._mapping) for row in await session.execute(query)]
