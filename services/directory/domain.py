"""Rules of a business profile, without I/O: categories, the life cycle and what each step records.

A use case loads the profile, asks a function here what to change (`Change`: the values to store, the
events it causes, whether the Fairtrade count may move, what waits for the office), then stores exactly
that. The review rule (which owner edits of a published profile go live, which wait) is in
domain_review.py; `edit` and `approve` here apply it. The checks of the
fields themselves (opening hours, coordinates, completeness, staleness) live in profile_checks.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.directory import offers
from services.directory.domain_review import PROPOSAL_PENDING, check_undecided, proposed_fields, review_split
from services.directory.profile_checks import BERLIN, check_profile
from shared.catalog import (
    BusinessArchived,
    BusinessOwnerNotice,
    BusinessPublished,
    BusinessRegistered,
    BusinessUnpublished,
    BusinessUpdated,
    EventData,
    OfferWithdrawnReason,
    OwnerNoticeKind,
)
from shared.errors import Conflict

__all__ = ["BERLIN", "CATEGORIES", "PROPOSAL_PENDING", "STATUSES", "Category", "Change", "check_undecided"]

Profile = Mapping[str, Any]


@dataclass(frozen=True)
class Category:
    de: str
    en: str
    schema_type: str  # schema.org type for the JSON-LD
    fairtrade_group: str | None = None  # "retail" or "gastronomy" for the Fairtrade-Town count


CATEGORIES: dict[str, Category] = {
    "einzelhandel": Category("Einzelhandel", "Retail", "Store", "retail"),
    "wochenmarkt": Category("Wochenmarkt", "Weekly market", "Store", "retail"),
    "gastronomie": Category("Gastronomie", "Food and drink", "FoodEstablishment", "gastronomy"),
    "hotel": Category("Hotel & Unterkunft", "Hotels and lodging", "LodgingBusiness", "gastronomy"),
    "dienstleistung": Category("Dienstleistung", "Services", "ProfessionalService"),
    "handwerk": Category("Handwerk", "Crafts and trades", "HomeAndConstructionBusiness"),
    "gesundheit": Category("Gesundheit", "Health", "MedicalBusiness"),
    "freizeit_kultur": Category("Freizeit & Kultur", "Leisure and culture", "EntertainmentBusiness"),
}

# --- life cycle -----------------------------------------------------------------------------------

PENDING, PUBLISHED, UNPUBLISHED, ARCHIVED = "pending", "published", "unpublished", "archived"
STATUSES = (PENDING, PUBLISHED, UNPUBLISHED, ARCHIVED)
STATUS_EVENTS: dict[str, type[BusinessPublished | BusinessUnpublished | BusinessArchived]] = {
    PUBLISHED: BusinessPublished,
    UNPUBLISHED: BusinessUnpublished,
    ARCHIVED: BusinessArchived,
}
# Fields whose change can move the Fairtrade count of a published profile.
FAIRTRADE_FIELDS = frozenset({"category", "fairtrade_products"})


@dataclass(frozen=True)
class Change:
    """What a step of the life cycle stores and announces; nothing at all when `values` is empty."""

    values: dict[str, Any] = field(default_factory=dict)
    events: list[EventData] = field(default_factory=list)
    changed: tuple[str, ...] = ()  # the profile's own fields that really changed
    recount: bool = False  # the Fairtrade count may have moved
    # What waits for the office after this step; None: the waiting change (if any) stays as it is,
    # {}: nothing waits any more (the pending change is withdrawn).
    proposal: dict[str, Any] | None = None


def check_not_archived(status: str) -> None:
    """Archived is final: no edit, no status change (the one place this rule lives)."""
    if status == ARCHIVED:
        raise Conflict("Archivierte Einträge sind unveränderlich / an archived profile cannot change", field="status")


def check_transition(current: str, target: str) -> None:
    """Archived is final; only a published profile can be unpublished."""
    check_not_archived(current)
    if target not in STATUS_EVENTS or (target == UNPUBLISHED and current != PUBLISHED):
        raise Conflict(
            f"Status {current} → {target} ist nicht möglich / cannot go from {current} to {target}", field="status"
        )


def _event_fields(profile: Profile, *, reviewed: bool) -> dict[str, Any]:
    """Ids and the category always; the name (free text of the owner's choosing) only when the office
    has seen it, i.e. when the profile is or was up to this step published."""
    return {
        "business_id": profile["id"],
        "name": profile["name"] if reviewed else None,
        "category": profile["category"],
    }


def register(fields: Profile, *, business_id: str, self_registered: bool, token_hash: str, now: datetime) -> Change:
    """A new profile is pending until the office publishes it; its event carries no text of the owner's."""
    profile = {
        **fields,
        "opening_hours": fields.get("opening_hours") or None,
        "offer": offers.normalised(fields.get("offer")),
    }
    check_profile(profile)
    values = profile | {
        "id": business_id,
        "status": PENDING,
        "self_registered": self_registered,
        "edit_token_hash": token_hash,
        "created_at": now,
        "updated_at": now,
        "touched_at": now,
        "published_at": None,
    }
    event = BusinessRegistered(**_event_fields(values, reviewed=False), self_registered=self_registered)
    return Change(values, [event])


# --- edits and status ------------------------------------------------------------------------------


def edit(
    profile: Profile,
    changes: Mapping[str, Any],
    *,
    now: datetime,
    by_office: bool = False,
    pending: Mapping[str, Any] | None = None,
) -> Change:
    """Apply the sent fields that may go live (`review_split`); the rest joins the change waiting for the
    office (`pending`: its fields). `business.updated` lists what really changed live. Any authorised
    save, even one that changes nothing, confirms the profile as current (it is no longer stale)."""
    check_not_archived(profile["status"])
    changes = dict(changes)
    if "opening_hours" in changes:
        changes["opening_hours"] = changes["opening_hours"] or None
    if "offer" in changes:
        changes["offer"] = offers.normalised(changes["offer"])
    live, waiting = review_split(profile["status"], changes, by_office=by_office, current=profile)
    merged = {**profile, **live}
    check_profile(merged)
    pending = dict(pending or {})
    proposal = proposed_fields(merged, pending, live, waiting)
    if proposal:
        check_profile({**merged, **proposal})  # it must be valid to approve as it stands
    changed = tuple(sorted(key for key, value in live.items() if profile.get(key) != value))
    values: dict[str, Any] = {"touched_at": now}
    events: list[EventData] = []
    if changed:
        values |= {key: merged[key] for key in changed} | {"updated_at": now}
        reviewed = profile["status"] == PUBLISHED
        events.append(BusinessUpdated(**_event_fields(merged, reviewed=reviewed), changed=list(changed)))
        events += offers.offer_events(profile, merged)
    recount = profile["status"] == PUBLISHED and bool(FAIRTRADE_FIELDS & set(changed))
    return Change(values, events, changed, recount, None if proposal == pending else proposal)


def approve(profile: Profile, proposal: Mapping[str, Any], *, now: datetime) -> Change:
    """The office approves a waiting change: its fields go live as an office edit would, and a published
    profile's `business.updated` then carries the approved name."""
    check_undecided(proposal)
    return edit(profile, proposal["fields"], now=now, by_office=True)


def change_status(profile: Profile, target: str, *, now: datetime, profile_url: str) -> Change:
    """Publish, unpublish or archive. Repeating a request changes and announces nothing; publishing
    tells the owner (when there is an address to write to)."""
    current = profile["status"]
    if current == target:
        return Change()
    check_transition(current, target)
    values: dict[str, Any] = {"status": target, "updated_at": now}
    if target == PUBLISHED:
        values["published_at"] = now
    reviewed = PUBLISHED in (current, target)
    events: list[EventData] = [STATUS_EVENTS[target](**_event_fields(profile, reviewed=reviewed))]
    reason: OfferWithdrawnReason = "archived" if target == ARCHIVED else "unpublished"
    events += offers.offer_events(profile, {**profile, "status": target}, reason=reason)
    if target == PUBLISHED and profile.get("owner_email"):
        events.append(owner_notice(profile, "published", profile_url))
    proposal: dict[str, Any] | None = (
        {} if target == ARCHIVED else None
    )  # an archived profile changes no more: nothing waits
    return Change(values, events, recount=PUBLISHED in (current, target), proposal=proposal)


def owner_notice(
    profile: Profile,
    kind: OwnerNoticeKind,
    profile_url: str | None,
    edit_url: str | None = None,
    note: str | None = None,
) -> BusinessOwnerNotice:
    """The private notice for the owner's mail. The edit token exists only as a hash, so only a notice
    staged where a token was just issued (sign-up, a new link) carries the edit link; the others link
    the public profile and say how to get a new edit link. `note`: the office's words when it sends a
    profile back or rejects a change."""
    return BusinessOwnerNotice(
        business_id=profile["id"],
        business_name=profile["name"],
        kind=kind,
        email=profile["owner_email"],
        language=profile.get("owner_language") or "de",
        profile_url=profile_url,
        edit_url=edit_url,
        touched_at=profile["touched_at"] if kind == "stale" else None,
        note=note,
    )


def stale_notice_due(profile: Profile, cutoff: datetime) -> bool:
    """One nudge per stale period: published, with an owner address, untouched since `cutoff` and
    published before it (just published after a long review: the owner just had that mail), and this
    `touched_at` not nudged yet. A touch starts a new period."""
    return (
        profile["status"] == PUBLISHED
        and profile.get("owner_email") is not None
        and profile["touched_at"] <= cutoff
        and profile["published_at"] is not None
        and profile["published_at"] <= cutoff
        and profile.get("stale_noticed_for") != profile["touched_at"]
    )
