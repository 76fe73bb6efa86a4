"""An in-memory `Store` (services/events/handlers/ports.py) and a unit of work around it, for unit tests
of the use cases without a database: rows are dicts, the outbox is a list of catalog events, and a
transaction that raises leaves everything as it was."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from services.events.domain import Event, Registrant, Slot
from services.events.handlers.ports import Counts, Origin
from shared.catalog import EventData
from shared.errors import NotFound

EVENT_FIELDS = tuple(f.name for f in fields(Event) if f.name != "recorded")
ACTIVE = ("confirmed", "waitlisted")


class FakeStore:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.slots: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, dict[str, Any]] = {}  # registrations
        self.outbox: list[EventData] = []

    def _event(self, event_id: str) -> Event:
        if event_id not in self.events:
            raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
        return Event(**{name: self.events[event_id][name] for name in EVENT_FIELDS})

    def _of(self, event_id: str, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
        rows = [r for r in self.rows.values() if r["event_id"] == event_id and r["status"] in statuses]
        return sorted(rows, key=lambda r: r["seq"])

    def _registrant(self, row: dict[str, Any]) -> Registrant:
        keys = ("id", "event_id", "status", "slot_id", "name", "email", "language", "seq", "topic")
        slot = self.slots.get(row["slot_id"] or "", {})
        return Registrant(
            *(row.get(k) for k in keys),
            slot.get("starts_at"),
            slot.get("ends_at"),
            row.get("attended_at"),
            row.get("reconfirm_requested_at"),
            row.get("reconfirmed_at"),
        )

    async def event_for_registration(self, event_id: str, email_keys: Sequence[str]) -> tuple[Event, Counts]:
        event = self._event(event_id)
        seqs = [r["seq"] for r in self.rows.values() if r["event_id"] == event_id]
        taken = frozenset(r["email_key"] for r in self._of(event_id, ACTIVE)) & frozenset(email_keys)
        confirmed, waitlisted = len(self._of(event_id, ("confirmed",))), len(self._of(event_id, ("waitlisted",)))
        return event, Counts(confirmed, waitlisted, max(seqs, default=0), taken)

    async def slot(self, event_id: str, slot_id: str) -> Slot | None:
        row = self.slots.get(slot_id)
        if row is None or row["event_id"] != event_id:
            return None
        return Slot(row["id"], row["event_id"], row["registration_id"], row["starts_at"], row["ends_at"])

    async def book_slot(self, slot_id: str, registration_id: str) -> None:
        self.slots[slot_id]["registration_id"] = registration_id

    async def add_registrations(
        self, rows: Sequence[dict[str, Any]], events: Sequence[EventData], origins: Sequence[Origin] | None = None
    ) -> None:
        for values in rows:
            assert values["id"] not in self.rows
            self.rows[values["id"]] = dict(values, promoted_at=None, cancelled_at=None)
        assert origins is None or len(origins) == len(events)
        self.outbox.extend(events)

    async def emit(self, events: Sequence[EventData]) -> None:
        self.outbox.extend(events)

    async def locked_event(self, event_id: str) -> Event:
        return self._event(event_id)

    async def add_event(self, event: Event, now: datetime) -> None:
        row = {name: getattr(event, name) for name in EVENT_FIELDS}
        claims = dict.fromkeys(("reminded_at", "reconfirm_asked_at", "reconfirm_released_at", "attendance_closed_at"))
        self.events[event.id] = row | {"created_at": now, "updated_at": now, "erased_at": None} | claims

    async def update_event(self, event_id: str, values: dict[str, Any]) -> None:
        self.events[event_id].update(values)

    async def add_slot(self, values: dict[str, Any]) -> None:
        self.slots[values["id"]] = dict(values, registration_id=None)

    async def free_slot(self, slot_id: str) -> None:
        self.slots[slot_id]["registration_id"] = None

    async def free_slots(self, event_id: str) -> None:
        for row in self.slots.values():
            if row["event_id"] == event_id:
                row["registration_id"] = None

    async def count(self, event_id: str, status: str) -> int:
        return len(self._of(event_id, (status,)))

    async def registrations(self, event_id: str, statuses: tuple[str, ...]) -> list[Registrant]:
        return [self._registrant(row) for row in self._of(event_id, statuses)]

    async def registration(self, registration_id: str) -> tuple[Registrant, tuple[str | None, ...]] | None:
        row = self.rows.get(registration_id)
        hashes = (row["cancel_token_hash"], row.get("reconfirm_token_hash")) if row else ()
        return None if row is None else (self._registrant(row), hashes)

    async def update_registration(self, registration_id: str, values: dict[str, Any]) -> None:
        self.rows[registration_id].update(values)

    async def cancel_active(self, event_id: str, now: datetime) -> None:
        for row in self._of(event_id, ACTIVE):
            row.update(status="cancelled", cancelled_at=now)

    async def events_to_remind(self, now: datetime) -> list[Event]:
        return [
            self._event(e["id"])
            for e in self.events.values()
            if e["status"] == "published" and e["reminded_at"] is None and now < e["starts_at"] <= now + timedelta(2)
        ]

    async def claim_reminder(self, event_id: str, now: datetime) -> bool:
        if self.events[event_id]["reminded_at"] is not None:
            return False
        self.events[event_id]["reminded_at"] = now
        return True

    async def events_to_reconfirm(self, now: datetime) -> list[Event]:
        return [
            self._event(e["id"])
            for e in self.events.values()
            if e["status"] == "published"
            and e["kind"] == "event"
            and e["reconfirm"]
            and e["reconfirm_released_at"] is None
            and now < e["starts_at"] <= now + timedelta(days=15)
        ]

    async def events_to_close(self, now: datetime, closes_after: timedelta) -> list[Event]:
        return [
            self._event(e["id"])
            for e in self.events.values()
            if e["status"] == "published" and e["attendance_closed_at"] is None and e["ends_at"] <= now - closes_after
        ]

    async def claim(self, event_id: str, claim: str, now: datetime) -> bool:
        if self.events[event_id][claim] is not None:
            return False
        self.events[event_id][claim] = now
        return True

    async def events_to_erase(self, now: datetime, after_days: int) -> list[tuple[str, datetime]]:
        due = now - timedelta(days=after_days)
        return [(e["id"], e["ends_at"]) for e in self.events.values() if e["erased_at"] is None and e["ends_at"] <= due]

    async def erase(self, event_id: str, now: datetime) -> None:
        for row in self.rows.values():
            if row["event_id"] == event_id:
                row.update(name=None, email=None, email_key=None, organisation=None, topic=None)
                row.update(cancel_token_hash=None, reconfirm_token_hash=None)
        self.events[event_id]["erased_at"] = now


class FakeUnitOfWork:
    """`async with uow.transaction() as store:` — kept on success, rolled back when the block raises."""

    def __init__(self) -> None:
        self.store = FakeStore()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeStore]:
        saved = copy.deepcopy(self.store.__dict__)
        try:
            yield self.store
        except BaseException:
            self.store.__dict__ = saved
            raise
