"""Read side, documents: the iCalendar feed and files, and the participants' CSV export (in the one
CSV format of shared.spreadsheet: `;`, UTF-8 with BOM, formula escaping)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import models
from services.events.domain_times import BERLIN
from services.events.queries import PUBLIC_STATUSES, get_event
from services.events.queries_attendance import reconfirmation_of
from shared.errors import NotFound
from shared.spreadsheet import csv_text

if TYPE_CHECKING:  # icalendar is imported where a calendar is made, not at every start (bench/README.md)
    from icalendar import Event as VEvent

E, R, S = models.events, models.registrations, models.slots
PARTICIPANTS_HEADER = (
    "registration_id",
    "status",
    "position",
    "name",
    "email",
    "organisation",
    "language",
    "slot",
    "topic",
    "registered_at",
    "attended",  # confirmed places: yes (checked in at the door) or no; empty for the others
    "attended_at",
    "reconfirmation",  # not_asked, asked, reconfirmed or released
)


def _vevent(event: Row[Any], base_url: str) -> VEvent:
    from icalendar import Event as VEvent

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
    item.add("url", event.online_url or f"{base_url.rstrip('/')}/veranstaltungen/{event.id}")  # its page
    if event.series:
        item.add("categories", [event.series])
    item.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    return item


def _calendar(events: Sequence[Row[Any]], base_url: str, name: str) -> bytes:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//Stadt Bottrop//HalloBot Veranstaltungen//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Berlin")
    for event in events:
        calendar.add_component(_vevent(event, base_url))
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical


async def event_ics(session: AsyncSession, event_id: str, base_url: str) -> bytes:
    event = (await session.execute(select(E).where(E.c.id == event_id))).first()
    if event is None or event.status not in PUBLIC_STATUSES:
        raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
    return _calendar([event], base_url, event.title)


async def slot_ics(session: AsyncSession, event_id: str, slot_id: str, event_url: str) -> bytes:
    """One booked slot of a consultation day as iCalendar: its own times, not the whole day's."""
    event = (await session.execute(select(E).where(E.c.id == event_id))).first()
    slot = (await session.execute(select(S).where(S.c.id == slot_id, S.c.event_id == event_id))).first()
    if event is None or event.status not in PUBLIC_STATUSES or slot is None:
        raise NotFound("Termin nicht gefunden. / Slot not found.")
    from icalendar import Calendar
    from icalendar import Event as VEvent

    item = VEvent()
    item.add("uid", f"{slot.id}@hallo-bot.de")
    item.add("dtstamp", event.updated_at)
    item.add("dtstart", slot.starts_at.astimezone(BERLIN))
    item.add("dtend", slot.ends_at.astimezone(BERLIN))
    item.add("summary", f"{event.title} ({slot.expert})")
    if event.venue:
        item.add("location", event.venue)
    item.add("url", event.online_url or event_url)
    item.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", "-//Stadt Bottrop//HalloBot Veranstaltungen//DE")
    calendar.add("version", "2.0")
    calendar.add("x-wr-timezone", "Europe/Berlin")
    calendar.add_component(item)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical


async def feed_ics(session: AsyncSession, base_url: str, series: str | None = None) -> bytes:
    query = select(E).where(E.c.status.in_(PUBLIC_STATUSES)).order_by(E.c.starts_at)
    if series:
        query = query.where(E.c.series == series)
    events = (await session.execute(query)).all()
    return _calendar(events, base_url, "HalloBot Bottrop – Veranstaltungen")


async def participants(session: AsyncSession, event_id: str) -> list[tuple[object, ...]]:
    """One row per registration in arrival order (PARTICIPANTS_HEADER); times in Berlin time."""
    await get_event(session, event_id, operator=True)
    rows = (
        await session.execute(
            select(R, S.c.starts_at.label("slot_starts_at"))
            .outerjoin(S, S.c.id == R.c.slot_id)
            .where(R.c.event_id == event_id)
            .order_by(R.c.seq)
        )
    ).all()
    out: list[tuple[object, ...]] = []
    position = 0
    for row in rows:
        position += row.status == "waitlisted"
        out.append(
            (
                row.id,
                row.status,
                position if row.status == "waitlisted" else "",
                row.name,
                row.email,
                row.organisation,
                row.language,
                row.slot_starts_at.astimezone(BERLIN).isoformat() if row.slot_starts_at else "",
                row.topic or "",
                row.created_at.astimezone(BERLIN).isoformat(),
                ("yes" if row.attended_at else "no") if row.status == "confirmed" else "",
                row.attended_at.astimezone(BERLIN).isoformat() if row.attended_at else "",
                reconfirmation_of(row),
            )
        )
    return out


async def participants_csv(session: AsyncSession, event_id: str) -> str:
    return csv_text(PARTICIPANTS_HEADER, await participants(session, event_id))
