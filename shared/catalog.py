"""The event catalog: one pydantic model per event type, with its version and NATS subject.

A model's `TYPE` is the CloudEvents type without the `de.bottrop.hallobot.` prefix; the subject
is `hallobot.<TYPE>.<entity id>`. Payloads of public types carry no personal data.
A breaking change to a payload gets a new VERSION (announced in `dataschema`), never a silent edit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.envelope import TYPE_PREFIX, CloudEvent, new_event_id, utcnow

SCHEMA_BASE = "https://hallo-bot.de/schemas/events"


class EventData(BaseModel):
    """Base of all catalog payloads."""

    model_config = ConfigDict(extra="forbid")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    SUBJECT_FIELD: ClassVar[str]
    SOURCE: ClassVar[str]

    def entity_id(self) -> str:
        return str(getattr(self, self.SUBJECT_FIELD))

    @classmethod
    def full_type(cls) -> str:
        return TYPE_PREFIX + cls.TYPE

    @classmethod
    def subject_pattern(cls) -> str:
        return f"hallobot.{cls.TYPE}.*"

    @classmethod
    def dataschema(cls) -> str:
        return f"{SCHEMA_BASE}/{cls.TYPE}/v{cls.VERSION}.json"

    def nats_subject(self) -> str:
        return f"hallobot.{self.TYPE}.{self.entity_id()}"

    def to_event(self, event_id: str | None = None) -> CloudEvent:
        return CloudEvent(
            id=event_id or new_event_id(),
            source=self.SOURCE,
            type=self.full_type(),
            subject=self.entity_id(),
            time=utcnow(),
            dataschema=self.dataschema(),
            data=self.model_dump(mode="json"),
        )


# --- directory ---------------------------------------------------------------------------


class _BusinessEvent(EventData):
    SUBJECT_FIELD = "business_id"
    SOURCE = "/hallobot/directory"
    business_id: str
    name: str = Field(max_length=200)
    category: str


class BusinessRegistered(_BusinessEvent):
    TYPE = "directory.business.registered"
    self_registered: bool


class BusinessUpdated(_BusinessEvent):
    TYPE = "directory.business.updated"
    changed: list[str]


class BusinessPublished(_BusinessEvent):
    TYPE = "directory.business.published"


class BusinessUnpublished(_BusinessEvent):
    TYPE = "directory.business.unpublished"


class BusinessArchived(_BusinessEvent):
    TYPE = "directory.business.archived"


OwnerNoticeKind = Literal["published", "stale"]


class BusinessOwnerNotice(EventData):
    """What the notifications service needs to write to a business owner; PRIVATE stream only.

    `published`: the office published the profile. `stale`: not touched for the stale period (one
    notice per period). The edit token is stored hashed and cannot be shown again, so `edit_url` is
    normally null; `profile_url` is the public profile, and the office issues a new edit link on request.
    """

    TYPE = "private.directory.business.owner_notice"
    SUBJECT_FIELD = "business_id"
    SOURCE = "/hallobot/directory"
    business_id: str
    business_name: str = Field(max_length=200)
    kind: OwnerNoticeKind
    email: str = Field(max_length=254)
    language: Literal["de", "en"] = "de"
    profile_url: str | None = None
    edit_url: str | None = None
    # stale: when the profile was last touched (edited or confirmed)
    touched_at: datetime | None = None


# --- fairtrade ---------------------------------------------------------------------------

Criterion = Literal["council_resolution", "steering_group", "retail_gastronomy", "civil_society", "press"]


class _FairtradeEvent(EventData):
    SOURCE = "/hallobot/directory"


class _CriterionEvent(_FairtradeEvent):
    SUBJECT_FIELD = "criterion"
    criterion: Criterion
    count: int
    target: int
    # Optional breakdown (e.g. retail/gastronomy counts and targets of `retail_gastronomy`).
    detail: dict[str, int] | None = None


class CriterionMet(_CriterionEvent):
    TYPE = "fairtrade.criterion.met"


class CriterionLost(_CriterionEvent):
    TYPE = "fairtrade.criterion.lost"


class MilestoneReached(_FairtradeEvent):
    TYPE = "fairtrade.milestone.reached"
    SUBJECT_FIELD = "milestone"
    milestone: Literal["all_criteria_met", "title_awarded", "title_renewed"]
    on: date


class RecertificationDue(_FairtradeEvent):
    TYPE = "fairtrade.recertification.due"
    SUBJECT_FIELD = "expires_on"
    expires_on: date
    days_left: int


# --- events (calendar and registrations) -------------------------------------------------


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


NoticeKind = Literal["confirmed", "waitlisted", "promoted", "cancelled", "event_cancelled", "reminder"]


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


# --- wifi ------------------------------------------------------------------------------

HotspotStatus = Literal["up", "degraded", "down", "maintenance"]


class HotspotRegistered(EventData):
    TYPE = "wifi.hotspot.registered"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    hotspot_id: str
    site_name: str


class HotspotStatusChanged(EventData):
    TYPE = "wifi.hotspot.status_changed"
    SUBJECT_FIELD = "hotspot_id"
    SOURCE = "/hallobot/wifi"
    hotspot_id: str
    previous: HotspotStatus | None
    status: HotspotStatus
    reason: str = ""
    since: datetime


class HotspotIncidentOpened(EventData):
    """All monitored sites went silent together (e.g. the city's uplink): one alarm, not six."""

    TYPE = "wifi.hotspot.incident_opened"
    SUBJECT_FIELD = "incident_id"
    SOURCE = "/hallobot/wifi"
    incident_id: str
    hotspot_ids: list[str]
    reason: str
    since: datetime


class HotspotIncidentResolved(EventData):
    TYPE = "wifi.hotspot.incident_resolved"
    SUBJECT_FIELD = "incident_id"
    SOURCE = "/hallobot/wifi"
    incident_id: str
    opened_at: datetime
    resolved_at: datetime


class HotspotAvailability(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hotspot_id: str
    site_name: str
    uptime_percent: float | None
    up_s: float
    degraded_s: float
    down_s: float
    maintenance_s: float
    not_monitored_s: float


class HotspotMonthlyReport(EventData):
    """Availability of every hotspot in one calendar month (Europe/Berlin), for the Wifi4EU duty."""

    TYPE = "wifi.hotspot.monthly_report"
    SUBJECT_FIELD = "month"
    SOURCE = "/hallobot/wifi"
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    hotspots: list[HotspotAvailability]


# --- notifications -------------------------------------------------------------------------


class _DeliveryEvent(EventData):
    """Outcome of one delivery; `recipient` is a pseudonym (keyed hash), never an address."""

    SUBJECT_FIELD = "delivery_id"
    SOURCE = "/hallobot/notifications"
    delivery_id: str
    channel: Literal["email", "webhook", "web"]
    recipient: str
    event_id: str


class DeliverySent(_DeliveryEvent):
    TYPE = "notifications.delivery.sent"


class DeliveryFailed(_DeliveryEvent):
    TYPE = "notifications.delivery.failed"
    reason: str


CATALOG: dict[str, type[EventData]] = {
    model.TYPE: model
    for model in (
        BusinessRegistered,
        BusinessUpdated,
        BusinessPublished,
        BusinessUnpublished,
        BusinessArchived,
        BusinessOwnerNotice,
        CriterionMet,
        CriterionLost,
        MilestoneReached,
        RecertificationDue,
        EventPublished,
        EventUpdated,
        EventCancelled,
        RegistrationConfirmed,
        RegistrationWaitlisted,
        RegistrationPromoted,
        RegistrationCancelled,
        EventReminderDue,
        RegistrantNotice,
        HotspotRegistered,
        HotspotStatusChanged,
        HotspotIncidentOpened,
        HotspotIncidentResolved,
        HotspotMonthlyReport,
        DeliverySent,
        DeliveryFailed,
    )
}


class UnknownEventType(ValueError):
    pass


def payload_of(event: CloudEvent) -> EventData:
    """Validate `event.data` against the catalog model of its type (raises on mismatch)."""
    model = CATALOG.get(event.short_type)
    if model is None or not event.type.startswith(TYPE_PREFIX):
        raise UnknownEventType(f"unknown event type {event.type!r}")
    return model.model_validate(event.data)
