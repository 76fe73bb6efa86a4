"""Turning up, no I/O: check-in at the door on the day (and taking it back), the attendance summary
after the event, and the reconfirmation a free event may ask for (free events lose about a fifth of
their places to no-shows). Each function checks its rule on the `Event` aggregate (domain.py), changes
the registrant and records the catalog events in `event.recorded`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from services.events.domain import CANCELLED, Event, Registrant
from services.events.domain_times import BERLIN
from shared.catalog import (
    EventAttendanceClosed,
    RegistrationAttendanceUndone,
    RegistrationAttended,
    RegistrationReconfirmationRequested,
    RegistrationReconfirmed,
    RegistrationReleased,
)
from shared.errors import Conflict, Invalid

Phase = Literal["ask", "release"]


# --- check-in ------------------------------------------------------------------------------------


def check_in_opens(event: Event) -> datetime:
    """The list at the door opens at the start of the event's (Berlin) day."""
    day = event.starts_at.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.astimezone(event.starts_at.tzinfo)


def attendance_closes(event: Event, closes_after: timedelta) -> datetime:
    """Until then the office may correct the list; then the summary goes out."""
    return event.ends_at + closes_after


def _check_door_open(event: Event, now: datetime, closes_after: timedelta) -> None:
    if event.status == "cancelled":
        raise Conflict(CANCELLED)
    if event.status != "published":
        raise Conflict("Die Veranstaltung ist nicht veröffentlicht. / The event is not published.")
    if now < check_in_opens(event):
        raise Conflict("Einchecken geht erst am Tag der Veranstaltung. / Check-in opens on the day of the event.")
    if now >= attendance_closes(event, closes_after):
        raise Conflict("Die Anwesenheit ist abgeschlossen. / Attendance is closed.")


def check_in(event: Event, registrant: Registrant, now: datetime, closes_after: timedelta) -> bool:
    """Mark a confirmed registrant as there; False if they were checked in already."""
    _check_door_open(event, now, closes_after)
    if registrant.status != "confirmed":
        raise Conflict(
            "Nur angemeldete Personen mit Platz können eingecheckt werden. / Only confirmed registrants can check in."
        )
    if registrant.attended_at is not None:
        return False
    registrant.attended_at = now
    event.recorded.append(RegistrationAttended(**_ids(event, registrant)))
    return True


def undo_check_in(event: Event, registrant: Registrant, now: datetime, closes_after: timedelta) -> bool:
    """Take a check-in back; False if there was none."""
    _check_door_open(event, now, closes_after)
    if registrant.attended_at is None:
        return False
    registrant.attended_at = None
    event.recorded.append(RegistrationAttendanceUndone(**_ids(event, registrant)))
    return True


def close_due(event: Event, now: datetime, closes_after: timedelta) -> bool:
    return event.status == "published" and now >= attendance_closes(event, closes_after)


def close_attendance(event: Event, confirmed: list[Registrant]) -> None:
    """The summary: confirmed places, how many came, how many did not. Nobody checked in means the list
    was not used, and then nobody counts as a no-show."""
    attended = sum(1 for r in confirmed if r.attended_at is not None)
    taken = attended > 0
    event.recorded.append(
        EventAttendanceClosed(
            **event.calendar_fields(),
            confirmed=len(confirmed),
            attended=attended,
            no_shows=len(confirmed) - attended if taken else 0,
            attendance_taken=taken,
        )
    )


# --- reconfirmation ------------------------------------------------------------------------------


def check_reconfirm_setting(event: Event) -> None:
    if event.reconfirm and event.kind != "event":
        raise Invalid(
            "Nur Veranstaltungen mit Plätzen können eine Bestätigung erbitten. / Only events with places can ask "
            "for reconfirmation.",
            field="reconfirm",
        )
    if not 2 <= event.reconfirm_days_before <= 14:
        raise Invalid("2 bis 14 Tage vorher. / 2 to 14 days before.", field="reconfirm_days_before")


def ask_at(event: Event) -> datetime:
    return event.starts_at - timedelta(days=event.reconfirm_days_before)


def reply_by(event: Event, deadline_before: timedelta) -> datetime:
    """Unconfirmed places are released then (EVENTS_RECONFIRM_DEADLINE_H before the start)."""
    return event.starts_at - deadline_before


def reconfirm_phase(event: Event, now: datetime, deadline_before: timedelta) -> Phase | None:
    """What the job does for the event now: ask (from `ask_at` until the deadline), release (from the
    deadline until the start), or nothing. A late job does not ask once there is no time to answer."""
    if not event.reconfirm or event.kind != "event" or event.status != "published" or now >= event.starts_at:
        return None
    deadline = reply_by(event, deadline_before)
    if now >= deadline:
        return "release"
    return "ask" if now >= ask_at(event) else None


def ask(event: Event, confirmed: list[Registrant], deadline: datetime, urls: dict[str, str], now: datetime) -> None:
    """Ask each confirmed registrant (not asked yet) to confirm by `deadline`; `urls`: the page with
    the registrant's own token, by registration id."""
    for registrant in confirmed:
        if registrant.reconfirm_requested_at is not None:
            continue
        registrant.reconfirm_requested_at = now
        event.recorded.append(RegistrationReconfirmationRequested(**_ids(event, registrant), reply_by=deadline))
        event.notify(registrant, "reconfirm", reconfirm_url=urls[registrant.id], reply_by=deadline)


def reconfirm(event: Event, registrant: Registrant, now: datetime) -> bool:
    """The registrant comes after all; False if they said so already. A registration that was not asked
    (it came later) needs nothing."""
    if registrant.status != "confirmed":
        raise Conflict("Diese Anmeldung hat keinen Platz mehr. / This registration no longer holds a place.")
    if registrant.reconfirm_requested_at is None or registrant.reconfirmed_at is not None:
        return False
    registrant.reconfirmed_at = now
    event.recorded.append(RegistrationReconfirmed(**_ids(event, registrant)))
    return True


def unconfirmed(confirmed: list[Registrant]) -> list[Registrant]:
    """Asked, and no answer: these places are released at the deadline."""
    return [r for r in confirmed if r.reconfirm_requested_at is not None and r.reconfirmed_at is None]


def release(event: Event, registrants: list[Registrant]) -> None:
    """The places of the unconfirmed go back (the caller promotes the waitlist); each is told."""
    for registrant in registrants:
        registrant.status = "cancelled"
        event.recorded.append(RegistrationReleased(**_ids(event, registrant)))
        event.notify(registrant, "released")


def _ids(event: Event, registrant: Registrant) -> dict[str, str | None]:
    return {"registration_id": registrant.id, "event_id": event.id, "slot_id": registrant.slot_id}
