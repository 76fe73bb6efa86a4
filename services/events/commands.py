"""What the use cases are asked to do: plain values, validated at the edge (schemas.py builds them),
free of HTTP and of request models."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class CreateEvent:
    """A new event or consultation day (a draft until it is published). Times in UTC."""

    title: str
    starts_at: datetime
    ends_at: datetime
    kind: Literal["event", "consultation"] = "event"
    series: str | None = None
    description: str = ""
    venue: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    waitlist: bool = True
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    reconfirm: bool = False  # ask the registrants to confirm again, `reconfirm_days_before` days before
    reconfirm_days_before: int = 2


@dataclass(frozen=True, slots=True)
class CreateSeries:
    """All dates of a recurring series at once, repeating `first`'s times and registration window."""

    first: CreateEvent
    frequency: Literal["weekly", "monthly"]
    count: int
    interval: int = 1
    publish: bool = False


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """The fields to change, by name (only those that were given)."""

    event_id: str
    changes: dict[str, object]


@dataclass(frozen=True, slots=True)
class AddSlots:
    """`count` consecutive slots of `minutes` each, from `starts_at` (UTC), with a pause between them."""

    event_id: str
    starts_at: datetime
    count: int
    expert: str
    topic: str
    minutes: int = 30
    pause_minutes: int = 0


@dataclass(frozen=True, slots=True)
class RegisterForEvent:
    """A registration; consent was given (the edge refuses it otherwise)."""

    event_id: str
    name: str
    email: str
    organisation: str | None = None
    language: Literal["de", "en"] = "de"
    slot_id: str | None = None
    topic: str | None = None  # consultation days: what it is to be about


@dataclass(frozen=True, slots=True)
class Registered:
    """What the registrant gets back: the state and, once only, the token that cancels it."""

    id: str
    event_id: str
    slot_id: str | None
    status: Literal["confirmed", "waitlisted"]
    position: int | None
    cancel_token: str
    cancel_url: str
