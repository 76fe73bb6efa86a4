"""The use cases' `Store` (handlers/ports.py) on the caller's database transaction.

Concurrency: every use case that counts places first locks the event row (SELECT … FOR UPDATE on
PostgreSQL; on SQLite every write transaction is BEGIN IMMEDIATE), so read-count-insert for one
event is serialised and capacity can never be exceeded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Insert,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    column,
    func,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.events import models
from services.events.domain import Event, Registrant, Slot
from services.events.handlers.ports import Claim, Counts, Origin, TokenHashes
from shared.catalog import EventData
from shared.errors import NotFound
from shared.outbox import add_events, add_events_with

E, R, S = models.events, models.registrations, models.slots
ACTIVE = ("confirmed", "waitlisted")
# The columns that the Event aggregate holds, in its order.
EVENT_FIELDS = tuple(f.name for f in fields(Event) if f.name != "recorded")
MAX_RECONFIRM_DAYS = 14
EVENT_NOT_FOUND = "Veranstaltung nicht gefunden. / Event not found."


def _registration_counts(event_id: Any, keys: Any) -> list[ColumnElement[Any]]:
    """SQLite: confirmed, waitlisted, last seq and which of `keys` hold an active place (a JSON array,
    `json_group_array`): four scalar subqueries that each stay inside an index (no scan of the event's
    registration rows). PostgreSQL counts in the function of migration 0009."""

    def count(status: str) -> ColumnElement[Any]:
        return (
            select(func.count()).select_from(R).where(R.c.event_id == event_id, R.c.status == status).scalar_subquery()
        )

    return [
        count("confirmed"),
        count("waitlisted"),
        select(func.coalesce(func.max(R.c.seq), 0)).where(R.c.event_id == event_id).scalar_subquery(),
        select(func.json_group_array(R.c.email_key))
        .where(R.c.event_id == event_id, R.c.email_key.in_(keys), R.c.status.in_(ACTIVE))
        .scalar_subquery(),
    ]


# Built once with bind parameters: building these expressions for every registration cost about as
# much CPU as running them (measured in bench/registration_rush.py).
_COUNTS = _registration_counts(bindparam("event_id"), bindparam("email_keys", expanding=True))
_EVENT_AND_COUNTS = select(E, *(c.label(f"_n{i}") for i, c in enumerate(_COUNTS))).where(
    E.c.id == bindparam("event_id")
)
_LOCKED_EVENT = select(E).where(E.c.id == bindparam("event_id")).with_for_update()
# PostgreSQL: the event locked and counted in one call of the function of migrations 0007 and 0009
# (see there why one plain statement cannot), its columns named as the table's.
_LOCKED_EVENT_AND_COUNTS = (
    text(
        "SELECT "
        + ", ".join(f"(locked.event).{c.name}" for c in E.c)
        + ", locked.confirmed, locked.waitlisted, locked.last_seq, locked.taken"
        " FROM events_lock_for_registration(:event_id, :email_keys) AS locked"
    )
    .bindparams(bindparam("email_keys", type_=ARRAY(String)))
    .columns(
        *(column(c.name, c.type) for c in E.c),
        column("confirmed", Integer),
        column("waitlisted", Integer),
        column("last_seq", Integer),
        column("taken", ARRAY(String)),
    )
)
# The columns a new registration is written with (handlers/registrations.py); on PostgreSQL as bind
# parameters named `new_<i>_<column>` (add_events_with: the outbox's own column names would be taken
# for its values).
NEW_REGISTRATION = (
    "id",
    "event_id",
    "seq",
    "slot_id",
    "status",
    "name",
    "email",
    "email_key",
    "organisation",
    "topic",
    "language",
    "consent_at",
    "cancel_token_hash",
    "created_at",
)


@cache
def _insert_registrations(rows: int) -> Insert:
    """PostgreSQL: `rows` new registrations in one INSERT … SELECT with bind parameters `new_<i>_<column>`,
    built once per number of rows (a multi-row VALUES has no cache key: it would be compiled again
    for every batch)."""

    def row(i: int) -> Select[Any]:
        return select(*(bindparam(f"new_{i}_{name}", type_=R.c[name].type).label(name) for name in NEW_REGISTRATION))

    source = row(0) if rows == 1 else union_all(*(row(i) for i in range(rows)))
    return R.insert().from_select(NEW_REGISTRATION, source)


# Registrations with the times of their booked slot (for the mails of consultation days).
_REGISTRANTS = select(R, S.c.starts_at.label("slot_starts_at"), S.c.ends_at.label("slot_ends_at")).outerjoin(
    S, S.c.id == R.c.slot_id
)


def event_of(row: Row[Any]) -> Event:
    return Event(
        row.id,
        row.kind,
        row.status,
        row.title,
        row.series,
        row.description,
        row.starts_at,
        row.ends_at,
        row.venue,
        row.online_url,
        row.capacity,
        row.waitlist,
        row.registration_opens_at,
        row.registration_closes_at,
        row.reconfirm,
        row.reconfirm_days_before,
    )


def registrant_of(row: Row[Any]) -> Registrant:
    """A registration row joined with its slot's times (`_REGISTRANTS`)."""
    return Registrant(
        row.id,
        row.event_id,
        row.status,
        row.slot_id,
        row.name,
        row.email,
        row.language,
        row.seq,
        row.topic,
        row.slot_starts_at,
        row.slot_ends_at,
        row.attended_at,
        row.reconfirm_requested_at,
        row.reconfirmed_at,
    )


class SqlStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._connection: AsyncConnection | None = None

    async def _db(self) -> AsyncConnection:
        """Core on the connection for the hot path: the ORM session layer is not needed there."""
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    async def event_for_registration(self, event_id: str, email_keys: Sequence[str]) -> tuple[Event, Counts]:
        """One statement on both. SQLite: the write transaction already holds the database's write lock
        (BEGIN IMMEDIATE). PostgreSQL: a function locks the row, then counts in a statement of its own,
        whose fresh snapshot sees every registration committed by the transaction that held the lock
        before (migrations 0007 and 0009)."""
        db = await self._db()
        sqlite = db.dialect.name == "sqlite"
        query = _EVENT_AND_COUNTS if sqlite else _LOCKED_EVENT_AND_COUNTS
        row = (await db.execute(query, {"event_id": event_id, "email_keys": list(email_keys)})).first()
        if row is None:
            raise NotFound(EVENT_NOT_FOUND)
        taken = frozenset(json.loads(row[-1]) if sqlite else row[-1] or ())
        return event_of(row), Counts(int(row[-4]), int(row[-3]), int(row[-2]), taken)

    async def slot(self, event_id: str, slot_id: str) -> Slot | None:
        row = (await self.session.execute(select(S).where(S.c.id == slot_id, S.c.event_id == event_id))).first()
        return None if row is None else Slot(row.id, row.event_id, row.registration_id, row.starts_at, row.ends_at)

    async def book_slot(self, slot_id: str, registration_id: str) -> None:
        await self.session.execute(update(S).where(S.c.id == slot_id).values(registration_id=registration_id))

    async def add_registrations(
        self, rows: Sequence[dict[str, Any]], events: Sequence[EventData], origins: Sequence[Origin] | None = None
    ) -> None:
        """The registration rows and their events' outbox rows: one statement on PostgreSQL, so that the
        event's lock is held for this round trip and the COMMIT only; on SQLite two, handed to its
        thread with the COMMIT (shared.outbox.add_events_with)."""
        db = await self._db()
        change: Insert
        if db.dialect.name == "postgresql":
            change = _insert_registrations(len(rows))
            parameters: Any = {f"new_{i}_{name}": value for i, row in enumerate(rows) for name, value in row.items()}
        else:
            change, parameters = R.insert(), list(rows)
        await add_events_with(self.session, models.outbox, change, parameters, list(events), origins)

    async def emit(self, events: Sequence[EventData]) -> None:
        await add_events(self.session, models.outbox, list(events))

    async def locked_event(self, event_id: str) -> Event:
        row = (await self.session.execute(_LOCKED_EVENT, {"event_id": event_id})).first()
        if row is None:
            raise NotFound(EVENT_NOT_FOUND)
        return event_of(row)

    async def add_event(self, event: Event, now: datetime) -> None:
        fields = {name: getattr(event, name) for name in EVENT_FIELDS}
        await self.session.execute(E.insert().values(**fields, created_at=now, updated_at=now))

    async def update_event(self, event_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(update(E).where(E.c.id == event_id).values(**values))

    async def add_slot(self, values: dict[str, Any]) -> None:
        await self.session.execute(S.insert().values(**values))

    async def free_slot(self, slot_id: str) -> None:
        await self.session.execute(update(S).where(S.c.id == slot_id).values(registration_id=None))

    async def free_slots(self, event_id: str) -> None:
        await self.session.execute(update(S).where(S.c.event_id == event_id).values(registration_id=None))

    async def count(self, event_id: str, status: str) -> int:
        query = select(func.count()).select_from(R).where(R.c.event_id == event_id, R.c.status == status)
        return int(await self.session.scalar(query) or 0)

    async def registrations(self, event_id: str, statuses: tuple[str, ...]) -> list[Registrant]:
        query = _REGISTRANTS.where(R.c.event_id == event_id, R.c.status.in_(statuses)).order_by(R.c.seq)
        return [registrant_of(row) for row in (await self.session.execute(query)).all()]

    async def registration(self, registration_id: str) -> tuple[Registrant, TokenHashes] | None:
        row = (await self.session.execute(_REGISTRANTS.where(R.c.id == registration_id))).first()
        return None if row is None else (registrant_of(row), (row.cancel_token_hash, row.reconfirm_token_hash))

    async def update_registration(self, registration_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(update(R).where(R.c.id == registration_id).values(**values))

    async def cancel_active(self, event_id: str, now: datetime) -> None:
        await self.session.execute(
            update(R)
            .where(R.c.event_id == event_id, R.c.status.in_(ACTIVE))
            .values(status="cancelled", cancelled_at=now)
        )

    async def events_to_remind(self, now: datetime) -> list[Event]:
        query = select(E).where(
            E.c.status == "published",
            E.c.reminded_at.is_(None),
            E.c.starts_at > now,
            E.c.starts_at <= now + timedelta(days=2),
        )
        return [event_of(row) for row in (await self.session.execute(query)).all()]

    async def claim_reminder(self, event_id: str, now: datetime) -> bool:
        claimed = await self.session.execute(
            update(E).where(E.c.id == event_id, E.c.reminded_at.is_(None)).values(reminded_at=now)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    async def events_to_reconfirm(self, now: datetime) -> list[Event]:
        query = select(E).where(
            E.c.status == "published",
            E.c.kind == "event",
            E.c.reconfirm.is_(True),
            E.c.reconfirm_released_at.is_(None),
            E.c.starts_at > now,
            E.c.starts_at <= now + timedelta(days=MAX_RECONFIRM_DAYS + 1),
        )
        return [event_of(row) for row in (await self.session.execute(query)).all()]

    async def events_to_close(self, now: datetime, closes_after: timedelta) -> list[Event]:
        query = select(E).where(
            E.c.status == "published", E.c.attendance_closed_at.is_(None), E.c.ends_at <= now - closes_after
        )
        return [event_of(row) for row in (await self.session.execute(query)).all()]

    async def claim(self, event_id: str, claim: Claim, now: datetime) -> bool:
        column = E.c[claim]
        claimed = await self.session.execute(
            update(E).where(E.c.id == event_id, column.is_(None)).values({column: now})
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    async def events_to_erase(self, now: datetime, after_days: int) -> list[tuple[str, datetime]]:
        query = select(E.c.id, E.c.ends_at).where(
            E.c.erased_at.is_(None), E.c.ends_at <= now - timedelta(days=after_days)
        )
        return [(row.id, row.ends_at) for row in (await self.session.execute(query)).all()]

    async def erase(self, event_id: str, now: datetime) -> None:
        await self.session.execute(
            update(R)
            .where(R.c.event_id == event_id)
            .values(
                name=None,
                email=None,
                email_key=None,
                organisation=None,
                topic=None,
                cancel_token_hash=None,
                reconfirm_token_hash=None,
            )
        )
        await self.session.execute(update(E).where(E.c.id == event_id).values(erased_at=now))
