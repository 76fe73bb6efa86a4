"""The read side of the notifications service: what the operators' lists, the link pages and the
live page show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models

D, S = models.deliveries, models.subscriptions


async def subscription_language(session: AsyncSession, subscription_id: str) -> str:
    """The language of a subscription's pages (German for an unknown id: the page says nothing more)."""
    return (await session.execute(select(S.c.language).where(S.c.id == subscription_id))).scalar() or "de"


async def subscriptions(session: AsyncSession, channel: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(S).order_by(S.c.created_at.desc()).limit(limit)
    if channel:
        query = query.where(S.c.channel == channel)
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def deliveries(
    session: AsyncSession,
    *,
    status: str | None = None,
    channel: str | None = None,
    recipient: str | None = None,
    event_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The delivery log, newest first; `recipient` is an address, a URL or a pseudonym."""
    query = select(D).order_by(D.c.created_at.desc()).limit(limit)
    if status:
        query = query.where(D.c.status == status)
    if channel:
        query = query.where(D.c.channel == channel)
    if recipient:
        query = query.where(or_(D.c.recipient == recipient, D.c.recipient_ref == recipient))
    if event_id:
        query = query.where(D.c.event_id == event_id)
    return [dict(row) for row in (await session.execute(query)).mappings()]


async def allowlist_entries(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(models.webhook_allowlist.c.entry))).scalars())


async def hotspots(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(select(models.hotspots).order_by(models.hotspots.c.site_name))).mappings()
    return [dict(row) for row in rows]
