"""The read side of the notifications service: what the operators' lists, the link pages and the
live page show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import models
from services.notifications.sentences import Names

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


async def names(session: AsyncSession) -> Names:
    """Every hotspot and event the service can name (for the live feed's sentences)."""
    found = Names()
    rows = await session.execute(select(models.hotspots.c.hotspot_id, models.hotspots.c.site_name))
    found.hotspots = {hotspot: site for hotspot, site in rows if site != hotspot}
    rows = await session.execute(select(models.calendar.c.event_id, models.calendar.c.title))
    found.events = {event: title for event, title in rows}
    return found


async def series(session: AsyncSession) -> dict[str, str]:
    """Each event series the service heard of, named by the title of its latest event."""
    C = models.calendar
    rows = await session.execute(
        select(C.c.series, C.c.title).where(C.c.series.is_not(None)).order_by(C.c.series, C.c.starts_at)
    )
    return {slug: title for slug, title in rows}  # the last (latest) title of each series wins


async def subscription(session: AsyncSession, subscription_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(S).where(S.c.id == subscription_id))).mappings().first()
    return dict(row) if row else None


async def retrying_deliveries(session: AsyncSession, limit: int = 100) -> list[dict[str, Any]]:
    """Mails and webhook calls that failed at least once and will be tried again, next try first."""
    query = (
        select(D)
        .where(D.c.status.in_(("pending", "sending")), D.c.attempts > 0)
        .order_by(D.c.next_attempt_at)
        .limit(limit)
    )
    return [dict(row) for row in (await session.execute(query)).mappings()]
