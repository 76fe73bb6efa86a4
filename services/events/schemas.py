"""Request and response models of the events service (validation happens here, at the edge)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from services.events.commands import AddSlots, ChangeEvent, CreateEvent, CreateSeries, RegisterForEvent
from services.events.domain_times import BERLIN, in_berlin

# Accepted with an offset or as Bottrop wall-clock time; stored in UTC; shown in Europe/Berlin.
BerlinTime = Annotated[datetime, PlainSerializer(lambda value: value.astimezone(BERLIN).isoformat(), return_type=str)]
Title = Annotated[str, Field(min_length=1, max_length=300)]


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
    series: str | None = Field(None, max_length=200)
    description: str = Field("", max_length=10_000)
    venue: str | None = Field(None, max_length=300)
    online_url: AnyHttpUrl | None = None
    capacity: int | None = Field(None, ge=1, le=100_000, description="None: unlimited")
    waitlist: bool = True


class EventCreate(_EventFields):
    kind: Literal["event", "consultation"] = "event"
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = Field(None, description="default: the start of the event")

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
    series: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    venue: str | None = Field(None, max_length=300)
    online_url: AnyHttpUrl | None = None
    capacity: int | None = Field(None, ge=1, le=100_000)
    waitlist: bool | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None

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


class SlotsCreate(_Strict):
    """Consecutive slots of a consultation day, e.g. 12 × 30 minutes from 09:00."""

    starts_at: datetime
    minutes: int = Field(30, ge=5, le=480)
    count: int = Field(ge=1, le=100)
    pause_minutes: int = Field(0, ge=0, le=120)
    expert: str = Field(min_length=1, max_length=200)
    topic: str = Field(min_length=1, max_length=300)

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
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    organisation: str | None = Field(None, max_length=200)
    consent: bool = Field(description="consent to the privacy notice; required")
    language: Literal["de", "en"] = "de"
    slot_id: str | None = Field(None, description="consultation days: the slot to book")

    @field_validator("consent")
    @classmethod
    def _consent_given(cls, value: bool) -> bool:
        if not value:
            raise ValueError("Bitte der Datenschutzerklärung zustimmen. / Consent to the privacy notice is required.")
        return value

    def command(self, event_id: str) -> RegisterForEvent:
        return RegisterForEvent(event_id, self.name, self.email, self.organisation, self.language, self.slot_id)


class RegistrationPublic(BaseModel):
    id: str
    event_id: str
    slot_id: str | None
    status: Literal["confirmed", "waitlisted", "cancelled"]
    position: int | None = Field(None, description="place on the waitlist, 1 = next")


class RegistrationCreated(RegistrationPublic):
    cancel_token: str = Field(description="shown once; cancels this registration")
    cancel_url: str
