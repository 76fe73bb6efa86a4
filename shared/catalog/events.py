"""Events of the events service: the calendar, registrations and the notices to registrants."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.catalog.base import EventData


class _CalendarEvent(EventData):
    SUBJECT_FIELD = "event_id"
    SOURCE = "/hallobot/events"
    event_id: str
    title: str = Field(max_length=300)
    series: str | None = None
    starts_at: datetime
    ends_at: datetime


class EventPublished(_CalendarEvent):
    TYPE = "events.event.published"


class EventUpdated(_CalendarEvent):
    TYPE = "events.event.updated"
    changed: list[str]


class EventCancelled(_CalendarEvent):
    TYPE = "events.event.cancelled"


class _RegistrationEvent(EventData):
    """A registration is an id; name and address never appear here."""

    SUBJECT_FIELD = "registration_id"
    SOURCE = "/hallobot/events"
    registration_id: str
    event_id: str
    slot_id: str | None = None


class RegistrationConfirmed(_RegistrationEvent):
    TYPE = "events.registration.confirmed"


class RegistrationWaitlisted(_RegistrationEvent):
    TYPE = "events.registration.waitlisted"
    position: int


class RegistrationPromoted(_RegistrationEvent):
    TYPE = "events.registration.promoted"


class RegistrationCancelled(_RegistrationEvent):
    TYPE = "events.registration.cancelled"
    reason: Literal["by_registrant", "event_cancelled", "by_operator"] = "by_registrant"


class EventReminderDue(_CalendarEvent):
    """The day before an event: reminders go out to its confirmed registrants (count only here)."""

    TYPE = "events.event.reminder_due"
    confirmed: int


NoticeKind = Literal[
    "confirmed", "waitlisted", "promoted", "cancelled", "event_cancelled", "reminder", "reconfirm", "released"
]


class RegistrantNotice(EventData):
    """What the notifications service needs to write to one registrant; PRIVATE stream only.

    `cancel_url` carries the registrant's own cancel token, so it is only set on the first notice
    (confirmed or waitlisted): the service keeps the token hashed and cannot show it again.
    """

    TYPE = "private.events.registration.notice"
    SUBJECT_FIELD = "registration_id"
    SOURCE = "/hallobot/events"
    registration_id: str
    event_id: str
    slot_id: str | None = None
    kind: NoticeKind
    email: str
    name: str
    language: Literal["de", "en"] = "de"
    cancel_url: str | None = None
    position: int | None = None
    event_title: str
    starts_at: datetime
    ends_at: datetime
    venue: str | None = None
    online_url: str | None = None
    # Consultation days: the booked slot and the topic the registrant gave (their own words, as text).
    slot_starts_at: datetime | None = None
    slot_ends_at: datetime | None = None
    topic: str | None = None
    # Set on the first notice: the event's page and the calendar file (of the booked slot, if any).
    event_url: str | None = None
    ics_url: str | None = None
    # kind "reconfirm": the page where the registrant confirms again (its own token), and the deadline.
    reconfirm_url: str | None = None
    reply_by: datetime | None = None
