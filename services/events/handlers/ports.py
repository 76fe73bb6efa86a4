"""What the use cases need from storage: `Store`, the repository of one unit of work (one transaction,
state and outbox together). store.py implements it on the database; tests/events fake it in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from services.events.domain import Event, Registrant, Slot
from shared.catalog import EventData


class Counts(NamedTuple):
    """What registrations are decided on, read together with the event under its lock."""

    confirmed: int
    waitlisted: int
    last_seq: int  # arrival order: the next registration gets last_seq + 1
    taken: frozenset[str]  # those of the asked email keys that already hold an active place


# What the events of one request carry from it onto the bus (its trace context, the operator):
# shared.outbox.origin, taken in the request and handed on when others stage its events for it.
Origin = Mapping[str, str]


# The job's claims on an event (a conditional update: one instance wins).
Claim = Literal["reminded_at", "reconfirm_asked_at", "reconfirm_released_at", "attendance_closed_at"]
TokenHashes = tuple[str | None, ...]  # the registration's cancel token and reconfirm token, hashed


class Store(Protocol):
    # --- registration: the hot path (one statement to lock and count, one to write, then COMMIT)
    async def event_for_registration(self, event_id: str, email_keys: Sequence[str]) -> tuple[Event, Counts]:
        """The event, locked, with its counts and which of `email_keys` are taken; NotFound if there is none."""

    async def slot(self, event_id: str, slot_id: str) -> Slot | None: ...

    async def book_slot(self, slot_id: str, registration_id: str) -> None: ...

    async def add_registrations(
        self, rows: Sequence[dict[str, Any]], events: Sequence[EventData], origins: Sequence[Origin] | None = None
    ) -> None:
        """New registrations and the catalog events they cause, staged in the outbox in this order (one
        statement for all); `origins`: one per event, what it carries from its request (None: this one)."""

    async def emit(self, events: Sequence[EventData]) -> None:
        """Stage catalog events in the outbox, in this order (one statement for all of them)."""

    # --- events and slots
    async def locked_event(self, event_id: str) -> Event:
        """The event, locked for the rest of the transaction; NotFound if there is none."""

    async def add_event(self, event: Event, now: datetime) -> None: ...

    async def update_event(self, event_id: str, values: dict[str, Any]) -> None: ...

    async def add_slot(self, values: dict[str, Any]) -> None: ...

    async def free_slot(self, slot_id: str) -> None: ...

    async def free_slots(self, event_id: str) -> None: ...

    # --- registrations
    async def count(self, event_id: str, status: str) -> int: ...

    async def registrations(self, event_id: str, statuses: tuple[str, ...]) -> list[Registrant]:
        """In arrival order."""

    async def registration(self, registration_id: str) -> tuple[Registrant, TokenHashes] | None:
        """The registration and the hashes of its tokens (cancel, reconfirm)."""

    async def update_registration(self, registration_id: str, values: dict[str, Any]) -> None: ...

    async def cancel_active(self, event_id: str, now: datetime) -> None: ...

    # --- jobs
    async def events_to_remind(self, now: datetime) -> list[Event]:
        """Published events not reminded yet that start within two days."""

    async def claim_reminder(self, event_id: str, now: datetime) -> bool:
        """Mark the event reminded; False if another instance did it first."""

    async def events_to_reconfirm(self, now: datetime) -> list[Event]:
        """Published events asking for reconfirmation that start in the next two weeks, not released yet."""

    async def events_to_close(self, now: datetime, closes_after: timedelta) -> list[Event]:
        """Published events that ended `closes_after` ago or earlier, attendance not closed yet."""

    async def claim(self, event_id: str, claim: Claim, now: datetime) -> bool:
        """Set the claim's time on the event; False if another instance did it first."""

    async def events_to_erase(self, now: datetime, after_days: int) -> list[tuple[str, datetime]]:
        """(id, ends_at) of the events not erased yet that ended `after_days` ago or earlier."""

    async def erase(self, event_id: str, now: datetime) -> None:
        """Anonymise the event's registrations; states and counts stay."""
