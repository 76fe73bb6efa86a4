"""Use cases of reconfirmation: the job asks the confirmed registrants of an event that wants it (a mail
with their own link), a registrant confirms again, and at the deadline the job releases the places of
those who did not answer, which go to the waitlist by the usual promotion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from services.events import domain_attendance as attendance
from services.events.domain import Event, Registrant
from services.events.handlers.ports import Store
from services.events.handlers.registrations import authorised_registration, promote, registration_by_id
from shared.auth import hash_token, new_token


def reconfirm_path(registration_id: str, token: str) -> str:
    """The reconfirmation page behind the mail's link (pages_reconfirm.py)."""
    return f"/veranstaltungen/bestaetigen?anmeldung={registration_id}&token={token}"


async def run_reconfirmation(
    store: Store, now: datetime, deadline_before: timedelta, link: Callable[[str], str]
) -> tuple[int, int]:
    """One pass of the job: (events asked, events released). Each step is claimed once per event."""
    asked = released = 0
    for event in await store.events_to_reconfirm(now):
        phase = attendance.reconfirm_phase(event, now, deadline_before)
        if phase == "ask" and await store.claim(event.id, "reconfirm_asked_at", now):
            await _ask(store, event, now, attendance.reply_by(event, deadline_before), link)
            asked += 1
        elif phase == "release" and await store.claim(event.id, "reconfirm_released_at", now):
            await _release(store, event, now)
            released += 1
    return asked, released


async def _ask(store: Store, event: Event, now: datetime, deadline: datetime, link: Callable[[str], str]) -> None:
    event = await store.locked_event(event.id)
    confirmed = await store.registrations(event.id, ("confirmed",))
    urls = {}
    for registrant in confirmed:
        if registrant.reconfirm_requested_at is None:
            token = new_token("hbr")
            urls[registrant.id] = link(reconfirm_path(registrant.id, token))
            values = {"reconfirm_token_hash": hash_token(token), "reconfirm_requested_at": now}
            await store.update_registration(registrant.id, values)
    attendance.ask(event, confirmed, deadline, urls, now)
    await store.emit(event.recorded)


async def _release(store: Store, event: Event, now: datetime) -> None:
    event = await store.locked_event(event.id)
    if not event.reconfirm:  # the office turned it off in the meantime
        return
    silent = attendance.unconfirmed(await store.registrations(event.id, ("confirmed",)))
    attendance.release(event, silent)
    for registrant in silent:
        await store.update_registration(registrant.id, {"status": "cancelled", "cancelled_at": now, "released_at": now})
    if event.promotes_at(now):
        await promote(store, event, now)
    await store.emit(event.recorded)


async def reconfirm(store: Store, registration_id: str, token: str | None, now: datetime) -> Registrant:
    """The registrant comes after all (with the token of either of their mails); idempotent."""
    await authorised_registration(store, registration_id, token)
    found = await registration_by_id(store, registration_id)
    event = await store.locked_event(found.event_id)
    registrant = await registration_by_id(store, registration_id)  # again, under the event's lock
    if attendance.reconfirm(event, registrant, now):
        await store.update_registration(registrant.id, {"reconfirmed_at": now})
        await store.emit(event.recorded)
    return registrant
