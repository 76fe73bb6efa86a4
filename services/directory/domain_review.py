"""The review rule, without I/O: which owner edits of a published profile go live at once and which wait
for the office as a proposed change.

Facts that cannot carry a message go live; free text and links wait, because the public (and every
subscriber of `directory.*`) would read them as the city's words. The office's own edits and edits of a
profile the public cannot see (pending, unpublished) go live: the office reviews the whole profile when
it publishes it. domain.py applies the rule in `edit` and `approve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict

PUBLISHED = "published"  # the same status as domain.PUBLISHED (domain.py imports this module)
PROPOSAL_PENDING = "pending"
# superseded: a newer edit of the owner replaced it; withdrawn: nothing of it is left to wait (the owner
# sent the live values again, or a live edit overwrote it, or the profile was archived)
PROPOSAL_STATUSES = (PROPOSAL_PENDING, "approved", "rejected", "superseded", "withdrawn")

# Facts that cannot carry a message: an owner's change of them goes live at once, also on a published
# profile. Every other field (name, description, offerings, public email, website, links, street, city:
# free text and links) waits for the office there. A field not named here waits: new fields are safe.
LIVE_FIELDS = frozenset(
    {
        "category",  # one of the fixed slugs
        "phone",  # digits, spaces and + ( ) / - only (schemas.py)
        "postal_code",  # five digits
        "latitude",
        "longitude",
        "opening_hours",  # the OSM grammar, but a comment in quotes is free text: that waits
        "delivery",
        "pickup",
        "accepts_gutschein",
        "sells_gutschein",
        "online_shop",
        "fairtrade_products",
        "owner_email",  # private: never shown, never in an event
        "owner_language",
    }
)


def goes_live(field: str, value: Any, current: Mapping[str, Any] | None = None) -> bool:
    """Whether an owner's new value of this field may go live on a published profile without review
    (`current`: the live profile)."""
    if field == "opening_hours":
        return '"' not in (value or "")
    if field == "offer":  # postal codes, times, amounts go live; a new pickup point text waits
        point = (value or {}).get("pickup_point")
        return not point or point == ((current or {}).get("offer") or {}).get("pickup_point")
    return field in LIVE_FIELDS


def review_split(
    status: str, changes: Mapping[str, Any], *, by_office: bool, current: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(live, waiting). The office's own edits and edits of a profile the public cannot see go live (the
    office reviews the whole profile when it publishes); an owner's edit of a published one is split."""
    if by_office or status != PUBLISHED:
        return dict(changes), {}
    live = {key: value for key, value in changes.items() if goes_live(key, value, current)}
    return live, {key: value for key, value in changes.items() if key not in live}


def proposed_fields(
    live_profile: Mapping[str, Any], pending: Mapping[str, Any], live: Mapping[str, Any], waiting: Mapping[str, Any]
) -> dict[str, Any]:
    """What waits after an edit: the pending change with the new waiting fields over it; a field sent live
    leaves it (the newer value wins), and a field equal to the live value is no change (sending the live
    value again withdraws that part)."""
    merged = {key: value for key, value in pending.items() if key not in live} | dict(waiting)
    return {key: value for key, value in merged.items() if live_profile.get(key) != value}


def check_undecided(proposal: Mapping[str, Any]) -> None:
    """Only a pending change can be approved or rejected; a newer edit replaces it (`superseded`)."""
    if proposal["status"] != PROPOSAL_PENDING:
        raise Conflict(
            f"Die Änderung ist nicht mehr offen ({proposal['status']}) / the change is no longer pending",
            field="change_id",
        )
