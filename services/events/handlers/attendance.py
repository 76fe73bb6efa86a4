"""Use cases of turning up: check-in at the door and taking it back (the office), the attendance
summary after the event (the job). Each runs in the caller's unit of work (`Store`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.events import domain_attendance as attendance
from services.events.domain import Registrant
from services.events.handlers.ports import Store
from services.events.handlers.registrations import registration_by_id


async def check_in(
    store: Store, registration_id: str, now: datetime, closes_after: timedelta, *, attended: bool = True
) -> Registrant:
    """Mark a registrant as there (`attended`) or take it back; idempotent either way."""
    found = await registration_by_id(store, registration_id)
    event = await store.locked_event(found.event_id)
    registrant = await registration_by_id(store, registration_id)  # again, under the event's lock
    if attended:
        changed = attendance.check_in(event, registrant, now, closes_after)
    else:
        changed = attendance.undo_check_in(event, registrant, now, closes_after)
    if changed:
        await store.update_registration(registrant.id, {"attended_at": registrant.attended_at})
        await store.emit(event.recorded)
    return registrant


async def close_attendance(store: Store, now: datetime, closes_after: timedelta) -> int:
    """After the event: one summary per event (confirmed, attended, no-shows); claimed once."""
    closed = 0
    for event in await store.events_to_close(now, closes_after):
        if not attendance.close_due(event, now, closes_after) or not await store.claim(
            event.id, "attendance_closed_at", now
        ):
            continue
        attendance.close_attendance(event, await store.registrations(event.id, ("confirmed",)))
        await store.emit(event.recorded)
        closed += 1
    return closed
