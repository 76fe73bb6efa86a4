"""An event's life cycle, no I/O: a draft (or the dates of a series), changes, publication, cancellation,
the slots of a consultation day and the reminder. Each function checks its rule on the `Event`
aggregate (domain.py), changes it and records the catalog events this causes in `event.recorded`."""

from __future__ import annotations

from copy import copy
from dataclasses import replace
from datetime import datetime

from services.events.commands import CreateEvent, CreateSeries
from services.events.domain import CANCELLED, Event, Registrant
from services.events.domain_attendance import check_reconfirm_setting
from services.events.domain_times import check_times, occurrences, slot_times
from shared.catalog import EventCancelled, EventPublished, EventReminderDue, EventUpdated
from shared.errors import Conflict, Invalid

# Fields that a change may not clear.
REQUIRED = frozenset({"title", "description", "starts_at", "ends_at", "waitlist", "reconfirm", "reconfirm_days_before"})


def check_somewhere(event: Event) -> None:
    if not event.venue and not event.online_url:
        raise Invalid("Ort oder Online-Link angeben. / Give a venue or an online link.", field="venue")


def draft(event_id: str, c: CreateEvent) -> Event:
    """A new event, not yet published; consultation days have slots instead of places."""
    check_times(c.starts_at, c.ends_at, c.registration_opens_at, c.registration_closes_at)
    places = c.kind == "event"
    event = Event(
        event_id,
        c.kind,
        "draft",
        c.title,
        c.series,
        c.description,
        c.starts_at,
        c.ends_at,
        c.venue,
        c.online_url,
        c.capacity if places else None,
        c.waitlist and places,
        c.registration_opens_at,
        c.registration_closes_at,
        c.reconfirm,
        c.reconfirm_days_before,
    )
    check_somewhere(event)
    check_reconfirm_setting(event)
    return event


def series_dates(c: CreateSeries) -> list[CreateEvent]:
    """Each date of a series; the registration window keeps its distance to each start."""
    first = c.first
    duration = first.ends_at - first.starts_at
    dates = []
    for starts_at, ends_at in occurrences(first.starts_at, duration, c.frequency, c.count, c.interval):
        shift = starts_at - first.starts_at
        opens, closes = first.registration_opens_at, first.registration_closes_at
        dates.append(
            replace(
                first,
                starts_at=starts_at,
                ends_at=ends_at,
                registration_opens_at=opens and opens + shift,
                registration_closes_at=closes and closes + shift,
            )
        )
    return dates


def publish(event: Event) -> bool:
    """Open the event for registration; False if it was published already."""
    if event.status == "published":
        return False
    if event.status == "cancelled":
        raise Conflict(
            "Eine abgesagte Veranstaltung kann nicht veröffentlicht werden. / A cancelled event cannot be published."
        )
    event.status = "published"
    event.recorded.append(EventPublished(**event.calendar_fields()))
    return True


def cancel(event: Event, active: list[Registrant]) -> bool:
    """Cancel the event and its `active` registrations (in arrival order); False if it was already."""
    if event.status == "cancelled":
        return False
    if event.status == "published":
        event.recorded.append(EventCancelled(**event.calendar_fields()))
    event.status = "cancelled"
    for registrant in active:
        registrant.status = "cancelled"
        event.cancelled(registrant, "event_cancelled")
        event.notify(registrant, "event_cancelled")
    return True


def changes(event: Event, requested: dict[str, object]) -> list[str]:
    """The names of the fields that `requested` changes (checked before anything is counted)."""
    if event.status == "cancelled":
        raise Conflict(CANCELLED)
    for name in sorted(REQUIRED & set(requested)):
        if requested[name] is None:
            raise Invalid(f"{name} darf nicht leer sein. / {name} cannot be empty.", field=name)
    return sorted(name for name, value in requested.items() if getattr(event, name) != value)


def change(event: Event, requested: dict[str, object], changed: list[str], confirmed: int) -> None:
    """Apply the `changed` fields of `requested`; `confirmed`: the places taken now. On an error the
    event stays as it was."""
    candidate = copy(event)
    for name in changed:
        setattr(candidate, name, requested[name])
    check_times(
        candidate.starts_at, candidate.ends_at, candidate.registration_opens_at, candidate.registration_closes_at
    )
    check_somewhere(candidate)
    check_reconfirm_setting(candidate)
    if event.kind == "consultation" and ("capacity" in changed or "waitlist" in changed):
        raise Invalid(
            "Beratungstage haben Termine statt Plätze. / Consultation days have slots, not places.", field="capacity"
        )
    if "capacity" in changed and candidate.capacity is not None and candidate.capacity < confirmed:
        raise Conflict(f"Schon {confirmed} Plätze vergeben. / {confirmed} places are already taken.", field="capacity")
    for name in changed:
        setattr(event, name, requested[name])
    if event.status == "published":
        event.recorded.append(EventUpdated(**event.calendar_fields(), changed=changed))


def plan_slots(
    event: Event, starts_at: datetime, minutes: int, count: int, pause_minutes: int
) -> list[tuple[datetime, datetime]]:
    """Times of new consecutive slots; they must lie within the consultation day."""
    if event.kind != "consultation":
        raise Invalid("Termine gibt es nur an Beratungstagen. / Only consultation days have slots.", field="kind")
    if event.status == "cancelled":
        raise Conflict(CANCELLED)
    times = slot_times(starts_at, minutes, count, pause_minutes)
    if any(start < event.starts_at or end > event.ends_at for start, end in times):
        raise Invalid(
            "Termine müssen innerhalb des Beratungstags liegen. / Slots must lie within the day.", field="starts_at"
        )
    return times


def remind(event: Event, confirmed: list[Registrant]) -> None:
    """The day before: one public reminder and a private notice per confirmed registrant."""
    event.recorded.append(EventReminderDue(**event.calendar_fields(), confirmed=len(confirmed)))
    for registrant in confirmed:
        event.notify(registrant, "reminder")
