"""The read side of the office's review: what waits (new profiles, owners' changes), what is back with
its owner, and the office's last word on a profile (the note an owner reads on their page).

A decision is a row of business_changes that was approved or rejected; sending a new profile back to
its owner is recorded as a rejected change too (review_handlers.send_back), so both kinds of review
share one history (`GET /businesses/{id}/changes`) and one note for the owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, queries
from services.directory.models import business_changes as c
from services.directory.models import businesses as b

DECIDED = ("approved", "rejected")
QUEUE_LIMIT = 200  # a city's morning: tens of profiles; more are still found by the list of all profiles


async def latest_decisions(session: AsyncSession, business_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The office's newest approval or rejection of each of these profiles that has one."""
    if not business_ids:
        return {}
    query = select(c).where(c.c.business_id.in_(business_ids), c.c.status.in_(DECIDED))
    rows = (await session.execute(query.order_by(c.c.decided_at, c.c.id))).all()
    return {row.business_id: dict(row._mapping) for row in rows}  # the newest comes last and wins


def back_with_owner(profile: Mapping[str, Any], decision: Mapping[str, Any] | None) -> bool:
    """A profile the public cannot see that the office sent back, and its owner has not saved since:
    it leaves the queue until the owner (or the office) saves it again."""
    return (
        profile["status"] in (domain.PENDING, domain.UNPUBLISHED)
        and decision is not None
        and decision["status"] == "rejected"
        and decision["decided_at"] >= profile["touched_at"]
    )


def note_for_owner(profile: Mapping[str, Any], decision: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The rejection whose note the owner should read: the office's last word, unless the profile was
    published after it (then the office took the profile as it stands)."""
    if decision is None or decision["status"] != "rejected" or not decision["note"]:
        return None
    published_at = profile.get("published_at")
    if published_at is not None and published_at > decision["decided_at"]:
        return None
    return decision


async def review_queue(session: AsyncSession) -> dict[str, Any]:
    """The office's morning: new profiles waiting for publication (the longest waiting first), owners'
    changes of published profiles (the same), and the new profiles that are back with their owner."""
    query = select(b).where(b.c.status == domain.PENDING).order_by(b.c.created_at, b.c.id).limit(QUEUE_LIMIT)
    pending = [dict(row._mapping) for row in (await session.execute(query)).all()]
    decisions = await latest_decisions(session, [p["id"] for p in pending])
    changes, changes_total = await queries.review_queue(session, status="pending", page=1, per_page=QUEUE_LIMIT)
    return {
        "new": [p for p in pending if not back_with_owner(p, decisions.get(p["id"]))],
        "returned": [(p, decisions[p["id"]]) for p in pending if back_with_owner(p, decisions.get(p["id"]))],
        "changes": changes,
        "changes_total": changes_total,
    }
