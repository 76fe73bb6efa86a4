"""Use cases of registrations: register, cancel (by the registrant or the office), promote from the
waitlist. Each runs in the caller's unit of work (`Store`): state change and outbox together."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from services.events.commands import Registered, RegisterForEvent
from services.events.domain import Event, Registrant
from services.events.domain_times import email_key
from services.events.handlers.ports import Origin, Store
from shared.auth import hash_token, new_token, token_matches
from shared.errors import DomainError, NotFound, Unauthenticated


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
    """One registration alone (a batch of one, see `register_all`)."""
    (outcome,) = await register_all(store, [command], now, link)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


async def register_all(
    store: Store,
    commands: Sequence[RegisterForEvent],
    now: datetime,
    link: Callable[[str], str],
    origins: Sequence[Origin] | None = None,
) -> list[Registered | DomainError]:
    """Decide registrations for one event in this order (registration_desk.py: those who arrived while
    the previous decision held the event's lock). The hot path (bench/registration_rush.py): one
    statement locks the event and counts, the rules decide each registration with the counts the
    ones before it left, one statement writes all admitted registrations with their events' outbox
    rows (two on SQLite); a consultation day also reads and books each slot. A refused registration
    gets its error in its place and the others go on; an error of the event itself (not found) is
    raised for all. `link` makes a site path absolute (settings.link) for the mail's links; `origins`:
    what the events of each registration carry from its request (shared.outbox.origin)."""
    event_id = commands[0].event_id
    assert all(command.event_id == event_id for command in commands), "one event per batch"
    keys = [email_key(command.email) for command in commands]
    event, counts = await store.event_for_registration(event_id, keys)
    confirmed, waitlisted, seq = counts.confirmed, counts.waitlisted, counts.last_seq
    taken = set(counts.taken)
    outcomes: list[Registered | DomainError] = []
    rows: list[dict[str, Any]] = []
    staged_origins: list[Origin] = []
    for index, (command, key) in enumerate(zip(commands, keys, strict=True)):
        slot_id = command.slot_id
        slot = await store.slot(event_id, slot_id) if slot_id and event.kind == "consultation" else None
        try:
            place, position = event.admit(
                now,
                confirmed=confirmed,
                waitlisted=waitlisted,
                registered=key in taken,
                slot_id=slot_id,
                slot=slot,
                topic=command.topic,
            )
        except DomainError as refused:
            outcomes.append(refused)
            continue
        registration_id, token = new_id(), new_token("hbc")
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
        recorded_before = len(event.recorded)
        event.registered(registrant, position, cancel_url, links)
        if origins is not None:
            staged_origins += [origins[index]] * (len(event.recorded) - recorded_before)
        if slot is not None:
            await store.book_slot(slot.id, registration_id)
        seq += 1
        confirmed, waitlisted = (confirmed + 1, waitlisted) if place == "confirmed" else (confirmed, waitlisted + 1)
        taken.add(key)
        rows.append(
            {
                "id": registration_id,
                "event_id": event_id,
                "seq": seq,
                "slot_id": slot_id,
                "status": place,
                "name": command.name,
                "email": command.email,
                "email_key": key,
                "organisation": command.organisation,
                "topic": command.topic,
                "language": command.language,
                "consent_at": now,
                "cancel_token_hash": hash_token(token),
                "created_at": now,
            }
        )
        outcomes.append(Registered(registration_id, event_id, slot_id, place, position, token, cancel_url))
    if rows:
        await store.add_registrations(rows, event.recorded, staged_origins if origins is not None else None)
    return outcomes


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
