"""Events of the directory service: business profiles, owner notices and the Fairtrade-Town campaign."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.catalog.base import EventData


class _BusinessEvent(EventData):
    SUBJECT_FIELD = "business_id"
    SOURCE = "/hallobot/directory"
    business_id: str
    category: str


class _PublicBusinessEvent(_BusinessEvent):
    """About a profile that is public (or was, up to this event): its name has been seen by the office."""

    name: str = Field(max_length=200)


class _AnyBusinessEvent(_BusinessEvent):
    """Version 2: about a profile that may not be public. The name is free text of the owner's choosing and
    travels only once the office has seen it, i.e. while the profile is published; else it is null."""

    VERSION = 2
    name: str | None = Field(
        None, max_length=200, description="the public name; null while the profile is not published (unreviewed)"
    )


class BusinessRegistered(_AnyBusinessEvent):
    """A new profile: always pending, so since version 2 `name` is always null."""

    TYPE = "directory.business.registered"
    self_registered: bool


class BusinessUpdated(_AnyBusinessEvent):
    TYPE = "directory.business.updated"
    changed: list[str]


class BusinessPublished(_PublicBusinessEvent):
    TYPE = "directory.business.published"


class BusinessUnpublished(_PublicBusinessEvent):
    TYPE = "directory.business.unpublished"


class BusinessArchived(_AnyBusinessEvent):
    TYPE = "directory.business.archived"


# --- delivery and pickup offers (the Louise city logistics project) ---------------------------------

Weekday = Literal["mo", "tu", "we", "th", "fr", "sa", "su"]


class OfferWindow(BaseModel):
    """Days of the week and a time of day (Europe/Berlin, HH:MM, `start` before `end`) when the shop
    delivers and its pickup point is open."""

    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["12:00"])


class Offer(BaseModel):
    """A shop's delivery and pickup offer, whole: a logistics system keeps it as it comes."""

    model_config = ConfigDict(extra="forbid")

    postal_codes: list[str] = Field(
        default_factory=list, description="delivery area: German postal codes (PLZ); empty: no delivery"
    )
    windows: list[OfferWindow] = Field(
        default_factory=list, description="delivery and pickup times; empty: by arrangement"
    )
    minimum_order_cents: int | None = Field(None, ge=0, description="minimum order value in euro cents; null: none")
    pickup_point: str | None = Field(None, max_length=200, description="where orders are picked up; null: no pickup")
    lead_time_hours: int = Field(0, ge=0, description="hours between order and delivery or pickup")


class _OfferEvent(_PublicBusinessEvent):
    """Only about a published profile: the office has seen the offer and the name."""


class OfferPublished(_OfferEvent):
    """City logistics systems (the Louise project) read the offer events as the read-only `city` NATS user
    from CITY's mirror of DIRECTORY: examples/louise_subscriber.py keeps a list in sync with a durable
    consumer and replays from the start when its list is lost."""

    TYPE = "directory.offer.published"
    offer: Offer


class OfferUpdated(_OfferEvent):
    """The whole offer as it now stands, never a difference: a subscriber replaces its entry."""

    TYPE = "directory.offer.updated"
    offer: Offer


OfferWithdrawnReason = Literal["offer_removed", "unpublished", "archived"]


class OfferWithdrawn(_OfferEvent):
    """A subscriber drops its entry of `business_id`; `name` is the one the public last saw."""

    TYPE = "directory.offer.withdrawn"
    reason: OfferWithdrawnReason


OwnerNoticeKind = Literal[
    "published",
    "stale",
    "registered",
    "link",
    "returned",
    "change_rejected",
    "network_invitation",
    "network_announcement",
]


class BusinessOwnerNotice(EventData):
    """What the notifications service needs to write to a business owner; PRIVATE stream only.

    `published`: the office published the profile. `stale`: not touched for the stale period (one
    notice per period). `registered`: the owner signed up on the website; `link`: the owner asked for
    their link again (the token was rotated, the old link no longer works). Only these two carry
    `edit_url`, the edit link with a new token (the token is stored hashed and cannot be shown again
    later); `profile_url` is the public profile (null while it is not published). `returned`: the
    office sent the new profile back with a `note` (it is not published yet); `change_rejected`: the
    office did not take over the owner's change of a published profile, with a `note`. The note is the
    office's text for the owner. `network_invitation`: a meeting of a network the business is a member
    of was published (`network_name`, `event_title`, `starts_at`, `event_url`); `network_announcement`:
    the office wrote to the members of a network (`network_name`, `headline`, `message`).
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
    # returned, change_rejected: the office's note for the owner
    note: str | None = Field(None, max_length=1000)
    # network_invitation, network_announcement: the network (its fixed name, never the owner's text)
    network_name: str | None = Field(None, max_length=200)
    # network_invitation: the published meeting and its page
    event_title: str | None = Field(None, max_length=300)
    starts_at: datetime | None = None
    event_url: str | None = None
    # network_announcement: the office's subject line and text to the members
    headline: str | None = Field(None, max_length=200)
    message: str | None = Field(None, max_length=5000)


# --- networks ----------------------------------------------------------------------------


class _NetworkMemberEvent(EventData):
    """A business joined or left one of the office's networks. Ids and the network's fixed name; the
    business's name only while the profile is published (the office has seen it), else null."""

    SUBJECT_FIELD = "network"
    SOURCE = "/hallobot/directory"
    network: str = Field(max_length=40, description="the network's slug, e.g. wirtschaftsallianz")
    network_name: str = Field(max_length=200)
    business_id: str
    name: str | None = Field(
        None, max_length=200, description="the business's public name; null while the profile is not published"
    )


class NetworkMemberJoined(_NetworkMemberEvent):
    TYPE = "directory.network.member_joined"


class NetworkMemberLeft(_NetworkMemberEvent):
    TYPE = "directory.network.member_left"


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
