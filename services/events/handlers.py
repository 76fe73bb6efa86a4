"""Use cases of the events service: each runs in the caller's transaction, state change + outbox.

Concurrency: every use case that counts places first locks the event row (SELECT … FOR UPDATE on
PostgreSQL; on SQLite every write transaction is BEGIN IMMEDIATE), so read-count-insert for one
event is serialised and capacity can never be exceeded.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import domain, models
from services.events.domain import EventRules
from services.events.schemas import EventCreate, EventUpdate, RegistrationCreate, SeriesCreate, SlotsCreate
from shared.auth import hash_token, new_token, token_matches, unauthorized
from shared.catalog import (
    EventCancelled,
    EventPublished,
    EventReminderDue,
    EventUpdated,
    RegistrantNotice,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.outbox import add_events

E, R, S = models.events, models.registrations, models.slots
ACTIVE = ("confirmed", "waitlisted")


def new_id() -> str:
    return uuid.uuid4().hex


async def _emit(session: AsyncSession, *payloads) -> None:
    """Stage events in the outbox with one multi-row INSERT (one round trip for all of them)."""
    await add_events(session, models.outbox, list(payloads))


def _calendar_fields(event) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "title": event.title,
        "series": event.series,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
    }


def _notice(event, registration, kind: str, **extra) -> RegistrantNotice:
    return RegistrantNotice(
        registration_id=registration.id,
        event_id=event.id,
        slot_id=registration.slot_id,
        kind=kind,
        email=registration.email,
        name=registration.name,
        language=registration.language,
        event_title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        venue=event.venue,
        online_url=event.online_url,
        **extra,
    )


def rules_of(event) -> EventRules:
    return EventRules(
        status=event.status,
        kind=event.kind,
        starts_at=event.starts_at,
        capacity=event.capacity,
        waitlist=event.waitlist,
        opens_at=event.registration_opens_at,
        closes_at=event.registration_closes_at,
    )


async def locked_event(session: AsyncSession, event_id: str):
    event = (await session.execute(select(E).where(E.c.id == event_id).with_for_update())).first()
    if event is None:
        raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
    return event


async def _count(session: AsyncSession, event_id: str, status: str) -> int:
    return await session.scalar(
        select(func.count()).select_from(R).where(R.c.event_id == event_id, R.c.status == status)
    )


# --- events --------------------------------------------------------------------------------


def _event_values(data: EventCreate, now: datetime) -> dict[str, Any]:
    domain.check_times(data.starts_at, data.ends_at, data.registration_opens_at, data.registration_closes_at)
    return {
        "kind": data.kind,
        "title": data.title,
        "series": data.series,
        "description": data.description,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "venue": data.venue,
        "online_url": str(data.online_url) if data.online_url else None,
        "capacity": data.capacity if data.kind == "event" else None,
        "waitlist": data.waitlist and data.kind == "event",
        "registration_opens_at": data.registration_opens_at,
        "registration_closes_at": data.registration_closes_at,
        "status": "draft",
        "created_at": now,
        "updated_at": now,
    }


async def create_event(session: AsyncSession, data: EventCreate, now: datetime) -> str:
    event_id = new_id()
    await session.execute(E.insert().values(id=event_id, **_event_values(data, now)))
    return event_id


async def create_series(session: AsyncSession, data: SeriesCreate, now: datetime) -> list[str]:
    """All dates of a series at once; the registration window keeps its distance to each start."""
    base = _event_values(data, now)
    ids = []
    for starts_at, ends_at in domain.occurrences(
        data.starts_at, data.ends_at - data.starts_at, data.frequency, data.count, data.interval
    ):
        shift = starts_at - data.starts_at
        values = base | {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "registration_opens_at": base["registration_opens_at"] and base["registration_opens_at"] + shift,
            "registration_closes_at": base["registration_closes_at"] and base["registration_closes_at"] + shift,
        }
        ids.append(new_id())
        await session.execute(E.insert().values(id=ids[-1], **values))
        if data.publish:
            await publish_event(session, ids[-1], now)
    return ids


async def publish_event(session: AsyncSession, event_id: str, now: datetime) -> None:
    event = await locked_event(session, event_id)
    if event.status == "published":
        return
    if event.status == "cancelled":
        raise Conflict(
            "Eine abgesagte Veranstaltung kann nicht veröffentlicht werden. / A cancelled event cannot be published."
        )
    await session.execute(update(E).where(E.c.id == event_id).values(status="published", updated_at=now))
    await _emit(session, EventPublished(**_calendar_fields(event)))


REQUIRED = {"title", "description", "starts_at", "ends_at", "waitlist"}


async def update_event(session: AsyncSession, event_id: str, data: EventUpdate, now: datetime) -> None:
    event = await locked_event(session, event_id)
    if event.status == "cancelled":
        raise Conflict("Die Veranstaltung ist abgesagt. / The event has been cancelled.")
    changes = data.model_dump(exclude_unset=True)
    for name in REQUIRED & set(changes):
        if changes[name] is None:
            raise Invalid(f"{name} darf nicht leer sein. / {name} cannot be empty.", field=name)
    if "online_url" in changes and changes["online_url"] is not None:
        changes["online_url"] = str(changes["online_url"])
    changed = sorted(name for name, value in changes.items() if getattr(event, name) != value)
    if not changed:
        return
    merged = event._asdict() | changes
    domain.check_times(
        merged["starts_at"], merged["ends_at"], merged["registration_opens_at"], merged["registration_closes_at"]
    )
    if not merged["venue"] and not merged["online_url"]:
        raise Invalid("Ort oder Online-Link angeben. / Give a venue or an online link.", field="venue")
    if event.kind == "consultation" and ("capacity" in changed or "waitlist" in changed):
        raise Invalid(
            "Beratungstage haben Termine statt Plätze. / Consultation days have slots, not places.", field="capacity"
        )
    if "capacity" in changed:
        domain.check_capacity_change(merged["capacity"], await _count(session, event_id, "confirmed"))
    await session.execute(
        update(E).where(E.c.id == event_id).values(**{n: changes[n] for n in changed}, updated_at=now)
    )
    updated = (await session.execute(select(E).where(E.c.id == event_id))).first()
    if updated.status == "published":
        await _emit(session, EventUpdated(**_calendar_fields(updated), changed=changed))
        if updated.starts_at > now:
            await promote(session, updated, now)


async def cancel_event(session: AsyncSession, event_id: str, now: datetime) -> None:
    """Cancelling an event cancels its registrations and tells everyone."""
    event = await locked_event(session, event_id)
    if event.status == "cancelled":
        return
    await session.execute(update(E).where(E.c.id == event_id).values(status="cancelled", updated_at=now))
    if event.status == "published":
        await _emit(session, EventCancelled(**_calendar_fields(event)))
    active = (
        await session.execute(select(R).where(R.c.event_id == event_id, R.c.status.in_(ACTIVE)).order_by(R.c.seq))
    ).all()
    for registration in active:
        await _emit(
            session,
            RegistrationCancelled(
                registration_id=registration.id,
                event_id=event_id,
                slot_id=registration.slot_id,
                reason="event_cancelled",
            ),
        )
        if registration.email:
            await _emit(session, _notice(event, registration, "event_cancelled"))
    await session.execute(
        update(R).where(R.c.event_id == event_id, R.c.status.in_(ACTIVE)).values(status="cancelled", cancelled_at=now)
    )
    await session.execute(update(S).where(S.c.event_id == event_id).values(registration_id=None))


async def add_slots(session: AsyncSession, event_id: str, data: SlotsCreate) -> list[str]:
    event = await locked_event(session, event_id)
    if event.kind != "consultation":
        raise Invalid("Termine gibt es nur an Beratungstagen. / Only consultation days have slots.", field="kind")
    if event.status == "cancelled":
        raise Conflict("Die Veranstaltung ist abgesagt. / The event has been cancelled.")
    ids = []
    for starts_at, ends_at in domain.slot_times(data.starts_at, data.minutes, data.count, data.pause_minutes):
        if starts_at < event.starts_at or ends_at > event.ends_at:
            raise Invalid(
                "Termine müssen innerhalb des Beratungstags liegen. / Slots must lie within the day.", field="starts_at"
            )
        ids.append(new_id())
        await session.execute(
            S.insert().values(
                id=ids[-1],
                event_id=event_id,
                starts_at=starts_at,
                ends_at=ends_at,
                expert=data.expert,
                topic=data.topic,
            )
        )
    return ids


# --- registrations -------------------------------------------------------------------------


def _registration_counts(event_id, key) -> list:
    """confirmed, waitlisted, last seq and whether `key` holds an active place: four scalar subqueries
    that each stay inside an index (no scan of the event's registration rows)."""

    def count(status: str):
        return (
            select(func.count()).select_from(R).where(R.c.event_id == event_id, R.c.status == status).scalar_subquery()
        )

    return [
        count("confirmed"),
        count("waitlisted"),
        select(func.coalesce(func.max(R.c.seq), 0)).where(R.c.event_id == event_id).scalar_subquery(),
        select(func.count())
        .select_from(R)
        .where(R.c.event_id == event_id, R.c.email_key == key, R.c.status.in_(ACTIVE))
        .scalar_subquery(),
    ]


# Built once with bind parameters: building these expressions for every registration cost about as
# much CPU as running them (measured in bench/registration_rush.py).
_COUNTS = _registration_counts(bindparam("event_id"), bindparam("email_key"))
_EVENT_AND_COUNTS = select(E, *(c.label(f"_n{i}") for i, c in enumerate(_COUNTS))).where(
    E.c.id == bindparam("event_id")
)
_COUNTS_ONLY = select(*_COUNTS)
_INSERT_REGISTRATION = R.insert()


async def _event_and_counts(db, event_id: str, key: str):
    """The event (locked) and its registration counts.

    SQLite: the write transaction already holds the database's write lock (BEGIN IMMEDIATE), so one
    statement reads both. PostgreSQL: first lock the row, then count in a second statement, whose
    fresh snapshot sees every registration committed by the transaction that held the lock before."""
    params = {"event_id": event_id, "email_key": key}
    if db.dialect.name == "sqlite":
        row = (await db.execute(_EVENT_AND_COUNTS, params)).first()
        if row is None:
            raise NotFound("Veranstaltung nicht gefunden. / Event not found.")
        return row, tuple(row[-4:])
    event = await locked_event(db, event_id)
    return event, (await db.execute(_COUNTS_ONLY, params)).one()


async def register(
    session: AsyncSession, event_id: str, data: RegistrationCreate, now: datetime, public_url: str
) -> dict[str, Any]:
    db = await session.connection()  # Core on the connection: the ORM session layer is not needed here
    key = domain.email_key(data.email)
    token = new_token("hbc")
    token_hash = hash_token(token)
    event, (confirmed, waitlisted, last_seq, taken) = await _event_and_counts(db, event_id, key)
    rules = rules_of(event)
    rules.check_open(now)
    if taken:
        raise Conflict(
            "Diese E-Mail-Adresse ist schon angemeldet. / This email address is already registered.", field="email"
        )
    registration_id, position = new_id(), None
    if event.kind == "consultation":
        await _book_slot(session, event_id, data.slot_id, registration_id)
        place = "confirmed"
    else:
        if data.slot_id:
            raise Invalid("Diese Veranstaltung hat keine Termine. / This event has no slots.", field="slot_id")
        place, position = rules.place(int(confirmed), int(waitlisted))
    values = dict(
        id=registration_id,
        event_id=event_id,
        seq=int(last_seq) + 1,
        slot_id=data.slot_id,
        status=place,
        name=data.name,
        email=data.email,
        email_key=key,
        organisation=data.organisation,
        language=data.language,
        consent_at=now,
        cancel_token_hash=token_hash,
        created_at=now,
    )
    await db.execute(_INSERT_REGISTRATION, values)
    registration = SimpleNamespace(**values)
    cancel_url = f"{public_url.rstrip('/')}/registrations/{registration_id}/cancel?token={token}"
    ids = {"registration_id": registration_id, "event_id": event_id, "slot_id": data.slot_id}
    public = RegistrationConfirmed(**ids) if place == "confirmed" else RegistrationWaitlisted(**ids, position=position)
    await _emit(session, public, _notice(event, registration, place, cancel_url=cancel_url, position=position))
    return ids | {
        "id": registration_id,
        "status": place,
        "position": position,
        "cancel_token": token,
        "cancel_url": cancel_url,
    }


async def _book_slot(session: AsyncSession, event_id: str, slot_id: str | None, registration_id: str) -> None:
    if not slot_id:
        raise Invalid("Bitte einen Termin wählen. / Choose a slot.", field="slot_id")
    slot = (await session.execute(select(S).where(S.c.id == slot_id, S.c.event_id == event_id))).first()
    if slot is None:
        raise NotFound("Termin nicht gefunden. / Slot not found.", field="slot_id")
    if slot.registration_id is not None:
        raise Conflict("Dieser Termin ist schon vergeben. / This slot is already taken.", field="slot_id")
    await session.execute(update(S).where(S.c.id == slot_id).values(registration_id=registration_id))


async def registration_by_id(session: AsyncSession, registration_id: str):
    registration = (await session.execute(select(R).where(R.c.id == registration_id))).first()
    if registration is None:
        raise NotFound("Anmeldung nicht gefunden. / Registration not found.")
    return registration


async def authorised_registration(session: AsyncSession, registration_id: str, token: str | None):
    registration = await registration_by_id(session, registration_id)
    if not token or not registration.cancel_token_hash or not token_matches(token, registration.cancel_token_hash):
        raise unauthorized("Der Link ist ungültig. / The link is not valid.")
    return registration


async def cancel_registration(
    session: AsyncSession, registration_id: str, now: datetime, *, token: str | None = None, by_operator: bool = False
) -> None:
    """Cancel one registration (idempotent); a freed place goes to the first on the waitlist."""
    if by_operator:
        registration = await registration_by_id(session, registration_id)
    else:
        registration = await authorised_registration(session, registration_id, token)
    event = await locked_event(session, registration.event_id)
    registration = (await session.execute(select(R).where(R.c.id == registration_id))).first()  # under the lock
    if registration.status == "cancelled":
        return
    await session.execute(update(R).where(R.c.id == registration_id).values(status="cancelled", cancelled_at=now))
    if registration.slot_id:
        await session.execute(update(S).where(S.c.id == registration.slot_id).values(registration_id=None))
    await _emit(
        session,
        RegistrationCancelled(
            registration_id=registration_id,
            event_id=event.id,
            slot_id=registration.slot_id,
            reason="by_operator" if by_operator else "by_registrant",
        ),
    )
    if registration.email:
        await _emit(session, _notice(event, registration, "cancelled"))
    if event.status == "published" and event.starts_at > now:
        await promote(session, event, now)


async def promote(session: AsyncSession, event, now: datetime) -> list[str]:
    if event.kind != "event":
        return []
    waiting = (
        await session.execute(select(R).where(R.c.event_id == event.id, R.c.status == "waitlisted").order_by(R.c.seq))
    ).all()
    if not waiting:
        return []
    chosen = set(rules_of(event).to_promote(await _count(session, event.id, "confirmed"), [r.id for r in waiting]))
    for registration in (r for r in waiting if r.id in chosen):
        await session.execute(update(R).where(R.c.id == registration.id).values(status="confirmed", promoted_at=now))
        await _emit(session, RegistrationPromoted(registration_id=registration.id, event_id=event.id))
        if registration.email:
            await _emit(session, _notice(event, registration, "promoted"))
    return [r.id for r in waiting if r.id in chosen]


async def waitlist_position(session: AsyncSession, registration) -> int | None:
    if registration.status != "waitlisted":
        return None
    return await session.scalar(
        select(func.count())
        .select_from(R)
        .where(R.c.event_id == registration.event_id, R.c.status == "waitlisted", R.c.seq <= registration.seq)
    )


# --- jobs ----------------------------------------------------------------------------------


async def send_reminders(session: AsyncSession, now: datetime) -> int:
    """The day before an event: one public reminder event and a private notice per confirmed registrant."""
    candidates = (
        await session.execute(
            select(E).where(
                E.c.status == "published",
                E.c.reminded_at.is_(None),
                E.c.starts_at > now,
                E.c.starts_at <= now + timedelta(days=2),
            )
        )
    ).all()
    sent = 0
    for event in candidates:
        if not domain.reminder_due(event.starts_at, event.reminded_at, now):
            continue
        claimed = await session.execute(
            update(E).where(E.c.id == event.id, E.c.reminded_at.is_(None)).values(reminded_at=now)
        )
        if claimed.rowcount != 1:
            continue  # another instance did it
        confirmed = (
            await session.execute(
                select(R).where(R.c.event_id == event.id, R.c.status == "confirmed").order_by(R.c.seq)
            )
        ).all()
        await _emit(session, EventReminderDue(**_calendar_fields(event), confirmed=len(confirmed)))
        for registration in confirmed:
            if registration.email:
                await _emit(session, _notice(event, registration, "reminder"))
        sent += 1
    return sent


async def erase_personal_data(session: AsyncSession, now: datetime, after_days: int) -> int:
    """Anonymise registrations `after_days` after their event ended; states and counts stay."""
    candidates = (
        await session.execute(
            select(E.c.id, E.c.ends_at, E.c.erased_at).where(
                E.c.erased_at.is_(None),
                E.c.ends_at <= now - timedelta(days=after_days),
            )
        )
    ).all()
    erased = 0
    for event in candidates:
        if not domain.erase_due(event.ends_at, event.erased_at, now, after_days):
            continue
        await session.execute(
            update(R)
            .where(R.c.event_id == event.id)
            .values(name=None, email=None, email_key=None, organisation=None, cancel_token_hash=None)
        )
        await session.execute(update(E).where(E.c.id == event.id).values(erased_at=now))
        erased += 1
    return erased
