"""Use cases of the periodic jobs (jobs.py runs them): reminders the day before an event, erasure of
personal data after it. Safe from several instances: each event is claimed by a conditional update."""

from __future__ import annotations

from datetime import datetime

from services.events import domain_lifecycle as lifecycle
from services.events.domain_times import erase_due, reminder_due
from services.events.handlers.ports import Store


async def send_reminders(store: Store, now: datetime) -> int:
    """The day before an event: one public reminder event and a private notice per confirmed registrant."""
    sent = 0
    for event in await store.events_to_remind(now):
        if not reminder_due(event.starts_at, None, now) or not await store.claim_reminder(event.id, now):
            continue  # not yet, or another instance did it
        lifecycle.remind(event, await store.registrations(event.id, ("confirmed",)))
        await store.emit(event.recorded)
        sent += 1
    return sent


async def erase_personal_data(store: Store, now: datetime, after_days: int) -> int:
    """Anonymise registrations `after_days` after their event ended; states and counts stay."""
    erased = 0
    for event_id, ends_at in await store.events_to_erase(now, after_days):
        if erase_due(ends_at, None, now, after_days):
            await store.erase(event_id, now)
            erased += 1
    return erased
