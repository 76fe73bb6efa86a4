"""Read side of the list at the door (operators): the event's registrations with their check-in and
reconfirmation state, and the counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import domain_attendance, models
from services.events.domain import Event
from services.events.domain_times import BERLIN
from services.events.schemas import Attendance, Attendee, EventPublic
from services.events.store import event_of
from shared.errors import NotFound

E, R = models.events, models.registrations


def reconfirmation_of(row: Row[Any]) -> str:
    if row.released_at is not None:
        return "released"
    if row.reconfirmed_at is not None:
        return "reconfirmed"
    return "asked" if row.reconfirm_requested_at is not None else "not_asked"


async def event_rules(session: AsyncSession, event_id: str) -> Event:
    """The event as the rules see it (read only: no lock)."""
    row = (await session.execute(select(E).where(E.c.id == event_id))).first()
    if row is None:
        raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
    return event_of(row)


async def attendance(session: AsyncSession, event_id: str, now: datetime, closes_after: timedelta) -> Attendance:
    """Confirmed first (by name), then the waitlist and the cancelled, in arrival order."""
    row = (await session.execute(select(E).where(E.c.id == event_id))).first()
    if row is None:
        raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
    event = event_of(row)
    rows = (await session.execute(select(R).where(R.c.event_id == event_id).order_by(R.c.seq))).all()
    order = {"confirmed": 0, "waitlisted": 1, "cancelled": 2}
    rows = sorted(
        rows, key=lambda r: (order.get(r.status, 3), (r.name or "").casefold() * (r.status == "confirmed"), r.seq)
    )
    people = [
        Attendee(
            id=r.id,
            name=r.name,
            organisation=r.organisation,
            status=r.status,
            attended=r.attended_at is not None,
            attended_at=r.attended_at,
            reconfirmation=reconfirmation_of(r),
        )
        for r in rows
    ]
    confirmed = [p for p in people if p.status == "confirmed"]
    attended = sum(1 for p in confirmed if p.attended)
    closes_at = domain_attendance.attendance_closes(event, closes_after)
    closed = row.attendance_closed_at is not None or now >= closes_at
    return Attendance(
        event_id=event.id,
        title=event.title,
        starts_at=event.starts_at,
        check_in_opens_at=domain_attendance.check_in_opens(event),
        closes_at=closes_at,
        closed=closed,
        confirmed=len(confirmed),
        attended=attended,
        # as in the summary: nobody checked in means the list was not used, so nobody is a no-show
        no_shows=(len(confirmed) - attended if attended else 0) if closed else None,
        registrations=people,
    )


def today_first(events: list[EventPublic], now: datetime) -> list[EventPublic]:
    """For the console: the events of today first, then the coming ones, then the past (latest first)."""
    today = now.astimezone(BERLIN).date()

    def key(event: EventPublic) -> tuple[int, float]:
        day = event.starts_at.astimezone(BERLIN).date()
        if day == today:
            return (0, event.starts_at.timestamp())
        if event.starts_at > now:
            return (1, event.starts_at.timestamp())
        return (2, -event.starts_at.timestamp())

    return sorted(events, key=key)
