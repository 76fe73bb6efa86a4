"""Request and response models of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.notifications.domain import FILTER_KEYS
from shared.inputs import LINE, Email, Line

Channel = Literal["email", "webhook"]
Topic = Annotated[str, Field(min_length=1, max_length=200), LINE]
FilterName = Annotated[str, Field(min_length=1, max_length=40), LINE]
FilterValue = Annotated[str, Field(max_length=200), LINE]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel = "email"
    email: Email | None = Field(None, description="for channel email")
    url: Annotated[str, Field(max_length=2000), LINE] | None = Field(
        None, description="for channel webhook (operator only)"
    )
    topics: list[Topic] = Field(
        min_length=1,
        max_length=50,
        description="event types, or prefixes ending in *",
        examples=[["wifi.hotspot.status_changed"]],
    )
    filters: dict[FilterName, FilterValue] = Field(
        default_factory=dict,
        max_length=len(FILTER_KEYS),
        description="narrow to one hotspot_id, series, event_id, business_id or criterion",
        examples=[{"hotspot_id": "kirchplatz"}],
    )
    language: Literal["de", "en"] = "de"
    digest: Literal["immediate", "daily"] = "immediate"

    @model_validator(mode="after")
    def _address_for_channel(self) -> SubscriptionCreate:
        if self.channel == "email" and not self.email:
            raise ValueError("email is required for channel email")
        if self.channel == "webhook" and not self.url:
            raise ValueError("url is required for channel webhook")
        if self.channel == "webhook" and self.digest != "immediate":
            raise ValueError("webhooks are delivered immediately")
        return self


class SubscriptionPublic(BaseModel):
    id: str
    channel: Channel
    status: str
    topics: list[str]
    filters: dict[str, str]
    language: str
    digest: str
    created_at: datetime


class SubscriptionAdmin(SubscriptionPublic):
    address: str | None
    url: str | None
    failures: int
    confirmed_at: datetime | None
    ended_at: datetime | None


class WebhookCreated(SubscriptionPublic):
    secret: str = Field(description="Standard Webhooks signing secret; shown once")


class Topics(BaseModel):
    topics: list[str]
    filters: list[str]


class DeliveryPublic(BaseModel):
    id: str
    event_id: str
    event_type: str
    channel: str
    template: str
    recipient: str
    recipient_ref: str
    subscription_id: str | None
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class AllowlistEntry(BaseModel):
    entry: Line = Field(
        min_length=1,
        max_length=255,
        description="a host name or a CIDR range",
        examples=["10.20.0.0/16", "intranet.bottrop.local"],
    )


class HotspotStatusPublic(BaseModel):
    hotspot_id: str
    site_name: str
    status: str | None
    since: datetime | None
