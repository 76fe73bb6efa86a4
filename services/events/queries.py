"""Read side: event views with their counts, slots, a registration's state. The iCalendar documents and
the CSV export are in queries_exports.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import models
from services.events.domain import Registrant
from services.events.schemas import EventPublic, SlotPublic
from shared.errors import NotFound

E, R, S = models.events, models.registrations, models.slots
PUBLIC_STATUSES = ("published", "cancelled")


async def _counts(session: AsyncSession, event_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    """confirmed, waitlisted and number of slots per event."""
    if not event_ids:
        return {}
    rows = (
        await session.execute(
            select(
                R.c.event_id,
                func.sum(case((R.c.status == "confirmed", 1), else_=0)),
                func.sum(case((R.c.status == "waitlisted", 1), else_=0)),
            )
            .where(R.c.event_id.in_(event_ids))
            .group_by(R.c.event_id)
        )
    ).all()
    slot_rows = (
        await session.execute(
            select(S.c.event_id, func.count()).where(S.c.event_id.in_(event_ids)).group_by(S.c.event_id)
        )
    ).all()
    slots: dict[str, int] = {event_id: count for event_id, count in slot_rows}
    counts = {event_id: (0, 0, slots.get(event_id, 0)) for event_id in event_ids}
    for event_id, confirmed, waitlisted in rows:
        counts[event_id] = (int(confirmed or 0), int(waitlisted or 0), slots.get(event_id, 0))
    return counts


def _public(event: Row[Any], confirmed: int, waitlisted: int, slot_count: int) -> EventPublic:
    capacity = slot_count if event.kind == "consultation" else event.capacity
    return EventPublic(
        **{
            name: getattr(event, name)
            for name in (
                "id",
                "kind",
                "title",
                "series",
                "description",
                "starts_at",
                "ends_at",
                "venue",
                "online_url",
                "waitlist",
                "registration_opens_at",
                "registration_closes_at",
                "status",
                "reconfirm",
                "reconfirm_days_before",
            )
        },
        capacity=capacity,
        confirmed=confirmed,
        waitlisted=waitlisted,
        places_left=None if capacity is None else max(0, capacity - confirmed),
    )


async def get_event(session: AsyncSession, event_id: str, *, operator: bool) -> EventPublic:
    event = (await session.execute(select(E).where(E.c.id == event_id))).first()
    if event is None or (not operator and event.status not in PUBLIC_STATUSES):
        raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
    return _public(event, *(await _counts(session, [event_id]))[event_id])


async def list_events(
    session: AsyncSession,
    *,
    operator: bool,
    series: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[EventPublic]:
    """Events in order of their start; `after`: that end after it, `before`: that start before it."""
    query = select(E).order_by(E.c.starts_at, E.c.id).limit(limit).offset(offset)
    if not operator:
        query = query.where(E.c.status.in_(PUBLIC_STATUSES))
    if series:
        query = query.where(E.c.series == series)
    if after:
        query = query.where(E.c.ends_at >= after)
    if before:
        query = query.where(E.c.starts_at < before)
    events = (await session.execute(query)).all()
    counts = await _counts(session, [event.id for event in events])
    return [_public(event, *counts[event.id]) for event in events]


async def series_names(session: AsyncSession, after: datetime) -> list[str]:
    """The names of the series with a public event that ends after `after`, in alphabetical order."""
    query = (
        select(E.c.series)
        .where(E.c.series.is_not(None), E.c.status.in_(PUBLIC_STATUSES), E.c.ends_at >= after)
        .distinct()
        .order_by(E.c.series)
    )
    return [name for name in (await session.scalars(query)).all() if name]


async def list_slots(
    session: AsyncSession, event_id: str, *, only_free: bool, operator: bool = False
) -> list[SlotPublic]:
    await get_event(session, event_id, operator=operator)  # the office prepares slots on a draft
    query = select(S).where(S.c.event_id == event_id).order_by(S.c.starts_at)
    if only_free:
        query = query.where(S.c.registration_id.is_(None))
    return [
        SlotPublic(
            id=s.id,
            event_id=s.event_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            expert=s.expert,
            topic=s.topic,
            free=s.registration_id is None,
        )
        for s in (await session.execute(query)).all()
    ]


async def waitlist_position(session: AsyncSession, registration: Registrant) -> int | None:
    if registration.status != "waitlisted":
        return None
    return await session.scalar(
        select(func.count())
        .select_from(R)
        .where(R.c.event_id == registration.event_id, R.c.status == "waitlisted", R.c.seq <= registration.seq)
    )


async def registration_view(session: AsyncSession, registration: Registrant) -> dict[str, Any]:
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "slot_id": registration.slot_id,
        "status": registration.status,
        "position": await waitlist_position(session, registration),
    }


async def series_overview(session: AsyncSession) -> list[dict[str, Any]]:
    """Every series the office made (drafts included): its name, how many dates, how many of them are
    drafts, the first and the last date; in alphabetical order (the console's list of series)."""
    query = (
        select(
            E.c.series,
            func.count().label("dates"),
            func.sum(case((E.c.status == "draft", 1), else_=0)).label("drafts"),
            func.min(E.c.starts_at).label("first"),
            func.max(E.c.starts_at).label("last"),
        )
        .where(E.c.series.is_not(None), E.c.series != "")
        .group_by(E.c.series)
        .order_by(E.c.series)
    )
    return [dict(row._mapping) for row in (await session.execute(query)).all()]
