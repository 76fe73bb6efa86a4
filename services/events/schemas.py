"""Request and response models of the events service (validation happens here, at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from services.events.commands import AddSlots, ChangeEvent, CreateEvent, CreateSeries, RegisterForEvent
from services.events.domain_times import BERLIN, in_berlin
from shared.inputs import LINE, TEXT, Email, Id, Instant, Line, Url

# Accepted with an offset or as Bottrop wall-clock time; stored in UTC; shown in Europe/Berlin.
BerlinTime = Annotated[datetime, PlainSerializer(lambda value: value.astimezone(BERLIN).isoformat(), return_type=str)]
Title = Annotated[str, Field(min_length=1, max_length=300), LINE]
Series = Annotated[str, Field(max_length=200), LINE]
Description = Annotated[str, Field(max_length=10_000), TEXT]
Venue = Annotated[str, Field(max_length=300), LINE]
Capacity = Annotated[int, Field(ge=1, le=100_000)]
ReconfirmDays = Annotated[int, Field(ge=2, le=14, description="when the question goes out, in days before the start")]
RECONFIRM = (
    "ask the confirmed registrants to confirm again (events with places only); unconfirmed places go to the "
    "waitlist at the deadline (EVENTS_RECONFIRM_DEADLINE_H before the start)"
)
# A consultation's topic goes into the confirmation mail to the given address: one short line.
Topic = Annotated[str, Field(min_length=1, max_length=100), LINE]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _TimesInUtc(_Strict):
    @field_validator(
        "starts_at", "ends_at", "registration_opens_at", "registration_closes_at", mode="after", check_fields=False
    )
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return in_berlin(value) if value is not None else None


class _EventFields(_TimesInUtc):
    title: Title
    series: Series | None = None
    description: Description = ""
    venue: Venue | None = None
    online_url: Url | None = None
    capacity: Capacity | None = Field(None, description="None: unlimited")
    waitlist: bool = True
    reconfirm: bool = Field(False, description=RECONFIRM)
    reconfirm_days_before: ReconfirmDays = 2


class EventCreate(_EventFields):
    kind: Literal["event", "consultation"] = "event"
    starts_at: Instant
    ends_at: Instant
    registration_opens_at: Instant | None = None
    registration_closes_at: Instant | None = Field(None, description="default: the start of the event")

    @model_validator(mode="after")
    def _somewhere(self) -> EventCreate:
        if not self.venue and not self.online_url:
            raise ValueError("venue or online_url: Ort oder Online-Link angeben / give a venue or an online link")
        return self

    def command(self) -> CreateEvent:
        fields = self.model_dump(include=set(CreateEvent.__dataclass_fields__))
        return CreateEvent(**fields | {"online_url": str(self.online_url) if self.online_url else None})


class SeriesCreate(EventCreate):
    """A recurring series in one go; times and the registration window repeat from the first date."""

    frequency: Literal["weekly", "monthly"]
    count: int = Field(ge=2, le=60)
    interval: int = Field(1, ge=1, le=12)
    publish: bool = False

    def series_command(self) -> CreateSeries:
        return CreateSeries(self.command(), self.frequency, self.count, self.interval, self.publish)


class EventUpdate(_TimesInUtc):
    title: Title | None = None
    series: Series | None = None
    description: Description | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    venue: Venue | None = None
    online_url: Url | None = None
    capacity: Capacity | None = None
    waitlist: bool | None = None
    registration_opens_at: Instant | None = None
    registration_closes_at: Instant | None = None
    reconfirm: bool | None = Field(None, description=RECONFIRM)
    reconfirm_days_before: ReconfirmDays | None = None

    def command(self, event_id: str) -> ChangeEvent:
        """Only the fields that were given (null clears an optional field)."""
        changes = self.model_dump(exclude_unset=True)
        if changes.get("online_url") is not None:
            changes["online_url"] = str(changes["online_url"])
        return ChangeEvent(event_id, changes)


class EventPublic(BaseModel):
    id: str
    kind: str
    title: str
    series: str | None
    description: str
    starts_at: BerlinTime
    ends_at: BerlinTime
    venue: str | None
    online_url: str | None
    capacity: int | None
    waitlist: bool
    registration_opens_at: BerlinTime | None
    registration_closes_at: BerlinTime | None
    status: str
    confirmed: int
    waitlisted: int
    places_left: int | None = Field(description="None: unlimited")
    reconfirm: bool = False
    reconfirm_days_before: int = 2


class SlotsCreate(_Strict):
    """Consecutive slots of a consultation day, e.g. 12 × 30 minutes from 09:00."""

    starts_at: Instant
    minutes: int = Field(30, ge=5, le=480)
    count: int = Field(ge=1, le=100)
    pause_minutes: int = Field(0, ge=0, le=120)
    expert: Line = Field(min_length=1, max_length=200)
    topic: Line = Field(min_length=1, max_length=300)

    @field_validator("starts_at", mode="after")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return in_berlin(value)

    def command(self, event_id: str) -> AddSlots:
        return AddSlots(event_id, **self.model_dump())


class SlotPublic(BaseModel):
    id: str
    event_id: str
    starts_at: BerlinTime
    ends_at: BerlinTime
    expert: str
    topic: str
    free: bool


class RegistrationCreate(_Strict):
    name: Line = Field(min_length=1, max_length=200)
    email: Email
    organisation: Annotated[str, Field(max_length=200), LINE] | None = None
    consent: bool = Field(description="consent to the privacy notice; required")
    language: Literal["de", "en"] = "de"
    slot_id: Id | None = Field(None, description="consultation days: the slot to book")
    topic: Topic | None = Field(None, description="consultation days: what the consultation is to be about")

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if not value:
            raise ValueError("Bitte der Datenschutzerklärung zustimmen. / Consent to the privacy notice is required.")
        return value

    def command(self, event_id: str) -> RegisterForEvent:
        return RegisterForEvent(
            event_id, self.name, self.email, self.organisation, self.language, self.slot_id, self.topic
        )


class RegistrationPublic(BaseModel):
    id: str
    event_id: str
    slot_id: str | None
    status: Literal["confirmed", "waitlisted", "cancelled"]
    position: int | None = Field(None, description="place on the waitlist, 1 = next")


class RegistrationCreated(RegistrationPublic):
    cancel_token: str = Field(description="shown once; cancels this registration")
    cancel_url: str


class Attendee(BaseModel):
    """One registration on the list at the door (operators only: it has the name)."""

    id: str
    name: str | None = Field(description="None once the personal data is erased")
    organisation: str | None
    status: Literal["confirmed", "waitlisted", "cancelled"]
    attended: bool
    attended_at: BerlinTime | None
    reconfirmation: Literal["not_asked", "asked", "reconfirmed", "released"]


class Attendance(BaseModel):
    """The list at the door: confirmed places, how many came so far, and who."""

    event_id: str
    title: str
    starts_at: BerlinTime
    check_in_opens_at: BerlinTime
    closes_at: BerlinTime = Field(description="after this the list is final and the summary is published")
    closed: bool
    confirmed: int
    attended: int
    no_shows: int | None = Field(description="set once the attendance is closed")
    registrations: list[Attendee]


class CheckIn(BaseModel):
    """The state of one registration's check-in."""

    id: str
    event_id: str
    status: Literal["confirmed", "waitlisted", "cancelled"]
    attended: bool
    attended_at: BerlinTime | None
