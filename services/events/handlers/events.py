"""Use cases of events and consultation days: create (one or a series), change, publish, cancel, add
slots. Each runs in the caller's unit of work (`Store`): state change and outbox together."""

from __future__ import annotations

from datetime import datetime

from services.events import domain_lifecycle as lifecycle
from services.events.commands import AddSlots, ChangeEvent, CreateEvent, CreateSeries
from services.events.handlers.ports import Store
from services.events.handlers.registrations import new_id, promote

ACTIVE = ("confirmed", "waitlisted")


async def create_event(store: Store, command: CreateEvent, now: datetime) -> str:
    event = lifecycle.draft(new_id(), command)
    await store.add_event(event, now)
    return event.id


async def create_series(store: Store, command: CreateSeries, now: datetime) -> list[str]:
    """All dates of a series at once, published at once if asked."""
    events = [lifecycle.draft(new_id(), date) for date in lifecycle.series_dates(command)]
    for event in events:
        await store.add_event(event, now)
        if command.publish:
            await publish_event(store, event.id, now)
    return [event.id for event in events]


async def publish_event(store: Store, event_id: str, now: datetime) -> None:
    event = await store.locked_event(event_id)
    if lifecycle.publish(event):
        await store.update_event(event_id, {"status": event.status, "updated_at": now})
        await store.emit(event.recorded)


async def update_event(store: Store, command: ChangeEvent, now: datetime) -> None:
    """Change an event; published changes are announced, and more places go to the waitlist."""
    event = await store.locked_event(command.event_id)
    changed = lifecycle.changes(event, command.changes)
    if not changed:
        return
    confirmed = await store.count(event.id, "confirmed") if "capacity" in changed else 0
    lifecycle.change(event, command.changes, changed, confirmed)
    await store.update_event(event.id, {name: command.changes[name] for name in changed} | {"updated_at": now})
    if event.promotes_at(now):
        await promote(store, event, now)
    await store.emit(event.recorded)


async def cancel_event(store: Store, event_id: str, now: datetime) -> None:
    """Cancelling an event cancels its registrations and tells everyone."""
    event = await store.locked_event(event_id)
    if not lifecycle.cancel(event, await store.registrations(event_id, ACTIVE)):
        return
    await store.update_event(event_id, {"status": event.status, "updated_at": now})
    await store.cancel_active(event_id, now)
    await store.free_slots(event_id)
    await store.emit(event.recorded)


async def add_slots(store: Store, command: AddSlots) -> list[str]:
    event = await store.locked_event(command.event_id)
    times = lifecycle.plan_slots(event, command.starts_at, command.minutes, command.count, command.pause_minutes)
    ids = []
    for starts_at, ends_at in times:
        ids.append(new_id())
        await store.add_slot(
            {
                "id": ids[-1],
                "event_id": event.id,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "expert": command.expert,
                "topic": command.topic,
            }
        )
    return ids
