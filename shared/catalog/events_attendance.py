"""Events of the events service about turning up: check-in at the door, the attendance summary after an
event, and the reconfirmation that free events ask for two days before (ids and counts only).

The impact monitor's figures per series come from one type, `events.event.attendance_closed`: it
carries the series and the counts of the event, once, when its attendance is closed. The
per-registration types (`attended`, `attendance_undone`) are the live view during the event."""

from __future__ import annotations

from datetime import datetime

from shared.catalog.base import EventData
from shared.catalog.events import _CalendarEvent, _RegistrationEvent


class RegistrationAttended(_RegistrationEvent):
    """The office checked a registrant in at the door."""

    TYPE = "events.registration.attended"


class RegistrationAttendanceUndone(_RegistrationEvent):
    """A check-in was taken back (a tap on the wrong name)."""

    TYPE = "events.registration.attendance_undone"


class EventAttendanceClosed(_CalendarEvent):
    """Once per held event, when its attendance is closed (EVENTS_ATTENDANCE_CLOSES_AFTER_H after its
    end): `confirmed` places at the start, `attended` of them checked in, `no_shows` the rest.
    `attendance_taken` is false when nobody was checked in at all: then the office did not use the
    check-in list and `no_shows` is 0 (leave such events out of a no-show rate)."""

    TYPE = "events.event.attendance_closed"
    confirmed: int
    attended: int
    no_shows: int
    attendance_taken: bool


class RegistrationReconfirmationRequested(_RegistrationEvent):
    """A confirmed registrant is asked to confirm again by `reply_by`, else the place is released."""

    TYPE = "events.registration.reconfirmation_requested"
    reply_by: datetime


class RegistrationReconfirmed(_RegistrationEvent):
    TYPE = "events.registration.reconfirmed"


class RegistrationReleased(_RegistrationEvent):
    """Not reconfirmed by the deadline: the place went back (to the waitlist, by `.promoted`). The
    registration is cancelled; no `.cancelled` follows."""

    TYPE = "events.registration.released"


ATTENDANCE_TYPES: tuple[type[EventData], ...] = (
    RegistrationAttended,
    RegistrationAttendanceUndone,
    EventAttendanceClosed,
    RegistrationReconfirmationRequested,
    RegistrationReconfirmed,
    RegistrationReleased,
)
