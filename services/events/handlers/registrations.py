"""Use cases of registrations: register, cancel (by the registrant or the office), promote from the
waitlist. Each runs in the caller's unit of work (`Store`): state change and outbox together."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from services.events.commands import Registered, RegisterForEvent
from services.events.domain import Event, Registrant
from services.events.domain_times import email_key
from services.events.handlers.ports import Store
from shared.auth import hash_token, new_token, token_matches
from shared.errors import NotFound, Unauthenticated


def new_id() -> str:
    return uuid.uuid4().hex


def cancel_path(registration_id: str, token: str) -> str:
    """The cancel page behind the mail's link (pages_cancel.py)."""
    return f"/veranstaltungen/abmelden?anmeldung={registration_id}&token={token}"


def calendar_path(event_id: str, slot_id: str | None = None) -> str:
    """The calendar file of an event, or of one booked slot of a consultation day."""
    if slot_id:
        return f"/veranstaltungen/{event_id}/termine/{slot_id}.ics"
    return f"/veranstaltungen/{event_id}.ics"


async def register(store: Store, command: RegisterForEvent, now: datetime, link: Callable[[str], str]) -> Registered:
    """The hot path (bench/registration_rush.py): one statement that locks the event and counts, one
    that writes the registration with its events' outbox rows (one on PostgreSQL, two on SQLite); a
    consultation day also reads and books the slot.
    `link` makes a site path absolute (settings.link) for the mail's links."""
    event_id, slot_id = command.event_id, command.slot_id
    key = email_key(command.email)
    token = new_token("hbc")
    token_hash = hash_token(token)
    event, counts = await store.event_for_registration(event_id, key)
    slot = await store.slot(event_id, slot_id) if slot_id and event.kind == "consultation" else None
    place, position = event.admit(
        now,
        confirmed=counts.confirmed,
        waitlisted=counts.waitlisted,
        registered=counts.registered,
        slot_id=slot_id,
        slot=slot,
        topic=command.topic,
    )
    registration_id = new_id()
    cancel_url = link(cancel_path(registration_id, token))
    registrant = Registrant(
        registration_id,
        event_id,
        place,
        slot_id,
        command.name,
        command.email,
        command.language,
        topic=command.topic,
        slot_starts_at=slot.starts_at if slot else None,
        slot_ends_at=slot.ends_at if slot else None,
    )
    links = {"event_url": link(f"/veranstaltungen/{event_id}"), "ics_url": link(calendar_path(event_id, slot_id))}
    event.registered(registrant, position, cancel_url, links)
    if slot is not None:
        await store.book_slot(slot.id, registration_id)
    values = {
        "id": registration_id,
        "event_id": event_id,
        "seq": counts.last_seq + 1,
        "slot_id": slot_id,
        "status": place,
        "name": command.name,
        "email": command.email,
        "email_key": key,
        "organisation": command.organisation,
        "topic": command.topic,
        "language": command.language,
        "consent_at": now,
        "cancel_token_hash": token_hash,
        "created_at": now,
    }
    await store.add_registration(values, event.recorded)
    return Registered(registration_id, event_id, slot_id, place, position, token, cancel_url)


async def registration_by_id(store: Store, registration_id: str) -> Registrant:
    found = await store.registration(registration_id)
    if found is None:
        raise NotFound("Anmeldung nicht gefunden. / Registration not found.")
    return found[0]


async def authorised_registration(store: Store, registration_id: str, token: str | None) -> Registrant:
    """The registration, if `token` is one of its own (the cancel token of the first mail or the token of
    the reconfirmation mail): the one check of registrants' links."""
    found = await store.registration(registration_id)
    if found is None:
        raise NotFound("Anmeldung nicht gefunden. / Registration not found.")
    registrant, token_hashes = found
    if not any(token_matches(token, token_hash) for token_hash in token_hashes):
        raise Unauthenticated("Der Link ist ungültig. / The link is not valid.")
    return registrant


async def cancel_registration(
    store: Store, registration_id: str, now: datetime, *, token: str | None = None, by_operator: bool = False
) -> Registrant:
    """Cancel one registration (idempotent); a freed place goes to the first on the waitlist."""
    if by_operator:
        found = await registration_by_id(store, registration_id)
    else:
        found = await authorised_registration(store, registration_id, token)
    event = await store.locked_event(found.event_id)
    registrant = await registration_by_id(store, registration_id)  # again, under the event's lock
    if not event.cancel_registration(registrant, "by_operator" if by_operator else "by_registrant"):
        return registrant
    await store.update_registration(registration_id, {"status": "cancelled", "cancelled_at": now})
    if registrant.slot_id:
        await store.free_slot(registrant.slot_id)
    if event.promotes_at(now):
        await promote(store, event, now)
    await store.emit(event.recorded)
    return registrant


async def promote(store: Store, event: Event, now: datetime) -> list[Registrant]:
    """Free places go to the first on the waitlist; the caller stages `event.recorded`."""
    waiting = await store.registrations(event.id, ("waitlisted",))
    if not waiting:
        return []
    promoted = event.promote(await store.count(event.id, "confirmed"), waiting)
    for registrant in promoted:
        await store.update_registration(registrant.id, {"status": "confirmed", "promoted_at": now})
    return promoted
