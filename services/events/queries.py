"""Read side: event views with their counts, free slots, the iCalendar documents, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from icalendar import Calendar
from icalendar import Event as VEvent
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import models
from services.events.domain import BERLIN
from services.events.handlers import waitlist_position
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
    slots = dict(slot_rows)
    counts = {event_id: (0, 0, slots.get(event_id, 0)) for event_id in event_ids}
    for event_id, confirmed, waitlisted in rows:
        counts[event_id] = (int(confirmed or 0), int(waitlisted or 0), slots.get(event_id, 0))
    return counts


def _public(event, confirmed: int, waitlisted: int, slot_count: int) -> EventPublic:
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
    limit: int = 100,
    offset: int = 0,
) -> list[EventPublic]:
    query = select(E).order_by(E.c.starts_at, E.c.id).limit(limit).offset(offset)
    if not operator:
        query = query.where(E.c.status.in_(PUBLIC_STATUSES))
    if series:
        query = query.where(E.c.series == series)
    if after:
        query = query.where(E.c.ends_at >= after)
    events = (await session.execute(query)).all()
    counts = await _counts(session, [event.id for event in events])
    return [_public(event, *counts[event.id]) for event in events]


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


async def registration_view(session: AsyncSession, registration) -> dict:
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "slot_id": registration.slot_id,
        "status": registration.status,
        "position": await waitlist_position(session, registration),
    }


# --- iCalendar -------------------------------------------------------------------------------


def _vevent(event, base_url: str) -> VEvent:
    item = VEvent()
    item.add("uid", f"{event.id}@hallo-bot.de")
    item.add("dtstamp", event.updated_at)
    item.add("last-modified", event.updated_at)
    item.add("dtstart", event.starts_at.astimezone(BERLIN))
    item.add("dtend", event.ends_at.astimezone(BERLIN))
    item.add("summary", event.title)
    if event.description:
        item.add("description", event.description)
    if event.venue:
        item.add("location", event.venue)
    item.add("url", event.online_url or f"{base_url.rstrip('/')}/events/{event.id}")
    if event.series:
        item.add("categories", [event.series])
    item.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    return item


def _calendar(events, base_url: str, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Stadt Bottrop//HalloBot Veranstaltungen//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Berlin")
    for event in events:
        calendar.add_component(_vevent(event, base_url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


async def event_ics(session: AsyncSession, event_id: str, base_url: str) -> bytes:
    event = (await session.execute(select(E).where(E.c.id == event_id))).first()
    if event is None or event.status not in PUBLIC_STATUSES:
        raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
    return _calendar([event], base_url, event.title)


async def feed_ics(session: AsyncSession, base_url: str, series: str | None = None) -> bytes:
    query = select(E).where(E.c.status.in_(PUBLIC_STATUSES)).order_by(E.c.starts_at)
    if series:
        query = query.where(E.c.series == series)
    events = (await session.execute(query)).all()
    return _calendar(events, base_url, "HalloBot Bottrop – Veranstaltungen")


# --- CSV export ------------------------------------------------------------------------------


def _cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; quote them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def participants_csv(session: AsyncSession, event_id: str) -> str:
    await get_event(session, event_id, operator=True)
    rows = (
        await session.execute(
            select(R, S.c.starts_at.label("slot_starts_at"))
            .outerjoin(S, S.c.id == R.c.slot_id)
            .where(R.c.event_id == event_id)
            .order_by(R.c.seq)
        )
    ).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        ["registration_id", "status", "position", "name", "email", "organisation", "language", "slot", "registered_at"]
    )
    position = 0
    for row in rows:
        position += row.status == "waitlisted"
        slot = row.slot_starts_at.astimezone(BERLIN).isoformat() if row.slot_starts_at else ""
        writer.writerow(
            [
                _cell(v)
                for v in (
                    row.id,
                    row.status,
                    position if row.status == "waitlisted" else "",
                    row.name,
                    row.email,
                    row.organisation,
                    row.language,
                    slot,
                    row.created_at.astimezone(BERLIN).isoformat(),
                )
            ]
        )
    return out.getvalue()
