"""The office sends a new profile back to its owner with a note (the console's review queue).

An owner's change of a published profile is sent back by rejecting it (handlers.reject_change). A profile
the public has not seen yet has no change to reject: the office reviews the whole profile, so the
decision is recorded as a rejected change holding the text the office saw, with the note. The profile
stays pending (nothing public changes, no public event); the owner reads the note on their page and
in a mail (the private owner notice `returned`), and the profile is back in the queue once the owner
saves it again (review_queries.back_with_owner)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.directory import domain
from services.directory.handlers import get_profile
from services.directory.ports import Store
from shared.errors import Conflict

# The profile's fields that carry the owner's own words (what the review is about: the fields that wait
# for the office on a published profile, domain_review.LIVE_FIELDS aside).
TEXT_FIELDS = ("name", "description", "offerings", "email", "website", "links", "street", "city", "opening_hours")


async def send_back(store: Store, business_id: str, note: str, *, now: datetime) -> dict[str, Any]:
    """Record the office's note on a pending or unpublished profile; returns the decision."""
    profile = await get_profile(store, business_id, for_update=True)
    if profile["status"] not in (domain.PENDING, domain.UNPUBLISHED):
        raise Conflict(
            "Nur ein noch nicht veröffentlichter Eintrag geht zurück / only a profile the public cannot see",
            field="status",
        )
    decision = {
        "id": str(uuid.uuid4()),
        "business_id": business_id,
        "fields": {name: profile[name] for name in TEXT_FIELDS if profile.get(name)},
        "status": "rejected",
        "proposed_at": profile["touched_at"],  # the profile as the owner last saved it
        "decided_at": now,
        "note": note,
    }
    await store.insert_change(decision)
    if profile.get("owner_email"):
        await store.stage(domain.owner_notice(profile, "returned", None, note=note))
    return decision
