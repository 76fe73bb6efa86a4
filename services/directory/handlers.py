"""Use cases of business profiles: each runs in the caller's transaction and stages its events there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, fairtrade_handlers
from services.directory.config import DirectorySettings
from services.directory.models import businesses, outbox
from services.directory.schemas import BusinessCreate
from shared.auth import hash_token, new_token
from shared.catalog import (
    BusinessArchived,
    BusinessOwnerNotice,
    BusinessPublished,
    BusinessRegistered,
    BusinessUnpublished,
    BusinessUpdated,
)
from shared.db import as_utc as utc
from shared.errors import Conflict, NotFound
from shared.outbox import add_event

STATUS_EVENTS = {
    domain.PUBLISHED: BusinessPublished,
    domain.UNPUBLISHED: BusinessUnpublished,
    domain.ARCHIVED: BusinessArchived,
}
# Fields whose change can move the Fairtrade count of a published profile.
FAIRTRADE_FIELDS = {"category", "fairtrade_products"}
_TIMES = ("created_at", "updated_at", "touched_at", "published_at")


def as_profile(row) -> dict:
    profile = dict(row._mapping)
    for key in ("edit_token_hash", "search_text", "search_folded", "stale_noticed_for"):
        profile.pop(key, None)
    for key in _TIMES:
        profile[key] = utc(profile[key])
    return profile


def view(profile: dict, now: datetime, settings: DirectorySettings, open_at: datetime | None = None) -> dict:
    """The profile with what is computed on reading: label, open now (or at `open_at`), completeness, staleness."""
    score, missing = domain.completeness(profile)
    return {
        **profile,
        "category_label": domain.CATEGORIES[profile["category"]].de,
        "open_now": domain.is_open(profile["opening_hours"], open_at or now),
        "completeness": score,
        "missing": missing,
        "stale": domain.is_stale(profile["touched_at"], now, settings.stale_after_months),
    }


def _event_fields(profile: dict) -> dict:
    return {"business_id": profile["id"], "name": profile["name"], "category": profile["category"]}


def _search_columns(profile: dict) -> dict:
    text = domain.search_document(profile)
    return {"search_text": text, "search_folded": domain.fold(text)}


def _validate(profile: dict) -> None:
    domain.check_coordinates(profile.get("latitude"), profile.get("longitude"))
    if profile.get("opening_hours"):
        domain.parse_opening_hours(profile["opening_hours"])


async def register_business(
    session: AsyncSession, data: BusinessCreate, *, self_registered: bool, now: datetime
) -> tuple[dict, str]:
    """A new pending profile; returns it with the owner's edit token, which is stored only as a hash."""
    token = new_token("hbe")
    profile = data.model_dump(mode="json")
    profile["opening_hours"] = profile["opening_hours"] or None
    _validate(profile)
    business_id = str(uuid.uuid4())
    await session.execute(
        businesses.insert().values(
            id=business_id,
            **profile,
            status=domain.PENDING,
            self_registered=self_registered,
            edit_token_hash=hash_token(token),
            created_at=now,
            updated_at=now,
            touched_at=now,
            published_at=None,
            **_search_columns(profile),
        )
    )
    await add_event(
        session,
        outbox,
        BusinessRegistered(**_event_fields({**profile, "id": business_id}), self_registered=self_registered),
    )
    return await get_business(session, business_id), token


async def get_business(session: AsyncSession, business_id: str, *, for_update: bool = False) -> dict:
    query = select(businesses).where(businesses.c.id == business_id)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    if row is None:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    return as_profile(row)


async def business_of_token(session: AsyncSession, token: str) -> str | None:
    row = (
        await session.execute(select(businesses.c.id).where(businesses.c.edit_token_hash == hash_token(token)))
    ).first()
    return row.id if row else None


async def update_business(
    session: AsyncSession, business_id: str, changes: dict, *, now: datetime, settings: DirectorySettings
) -> dict:
    """Apply the sent fields; `business.updated` lists what really changed. Any authorised save,
    even one that changes nothing, confirms the profile as current (it is no longer stale)."""
    profile = await get_business(session, business_id, for_update=True)
    if profile["status"] == domain.ARCHIVED:
        raise Conflict("Archivierte Einträge sind unveränderlich / an archived profile cannot change", field="status")
    if "opening_hours" in changes:
        changes["opening_hours"] = changes["opening_hours"] or None
    merged = {**profile, **changes}
    _validate(merged)
    changed = sorted(key for key, value in changes.items() if profile.get(key) != value)
    values: dict = {"touched_at": now}
    if changed:
        values |= {key: merged[key] for key in changed} | {"updated_at": now} | _search_columns(merged)
        await add_event(session, outbox, BusinessUpdated(**_event_fields(merged), changed=changed))
    await session.execute(businesses.update().where(businesses.c.id == business_id).values(**values))
    if profile["status"] == domain.PUBLISHED and FAIRTRADE_FIELDS & set(changed):
        await fairtrade_handlers.recount(session, now=now, settings=settings)
    return await get_business(session, business_id)


async def change_status(
    session: AsyncSession, business_id: str, target: str, *, now: datetime, settings: DirectorySettings
) -> dict:
    """Publish, unpublish or archive (office only); the Fairtrade count follows in the same transaction."""
    profile = await get_business(session, business_id, for_update=True)
    if profile["status"] == target:
        return profile  # repeating a request changes nothing and announces nothing
    domain.check_transition(profile["status"], target)
    values: dict = {"status": target, "updated_at": now}
    if target == domain.PUBLISHED:
        values["published_at"] = now
    await session.execute(businesses.update().where(businesses.c.id == business_id).values(**values))
    await add_event(session, outbox, STATUS_EVENTS[target](**_event_fields(profile)))
    if target == domain.PUBLISHED and profile["owner_email"]:
        await add_event(session, outbox, owner_notice(profile, "published", settings))
    if domain.PUBLISHED in (profile["status"], target):
        await fairtrade_handlers.recount(session, now=now, settings=settings)
    return await get_business(session, business_id)


def owner_notice(profile: dict, kind: str, settings: DirectorySettings) -> BusinessOwnerNotice:
    """The private notice for the owner's mail. The edit token exists only as a hash, so there is no
    edit link to give; the mail links the public profile and says how to get a new edit link."""
    return BusinessOwnerNotice(
        business_id=profile["id"],
        business_name=profile["name"],
        kind=kind,
        email=profile["owner_email"],
        language=profile.get("owner_language") or "de",
        profile_url=settings.public_url.format(id=profile["id"]),
        edit_url=None,
        touched_at=utc(profile["touched_at"]) if kind == "stale" else None,
    )


async def notify_stale_owners(
    session: AsyncSession, *, now: datetime, settings: DirectorySettings, limit: int = 200
) -> int:
    """One nudge per stale period: a published profile with an owner address, untouched for the stale
    period (and published longer than that), whose current `touched_at` was not nudged yet. The mark
    (`stale_noticed_for` = that `touched_at`) and the notice commit together; the conditional update
    keeps two instances from both nudging. A touch starts a new period. Returns how many notices were staged."""
    b = businesses
    cutoff = domain.add_months(now, -settings.stale_after_months)
    due = (
        await session.execute(
            select(b)
            .where(
                b.c.status == domain.PUBLISHED,
                b.c.owner_email.is_not(None),
                b.c.touched_at <= cutoff,
                # just published (after a long review): the owner just had the "published" mail
                b.c.published_at <= cutoff,
                or_(b.c.stale_noticed_for.is_(None), b.c.stale_noticed_for != b.c.touched_at),
            )
            .order_by(b.c.touched_at)
            .limit(limit)
        )
    ).all()
    staged = 0
    for row in due:
        marked = await session.execute(
            b.update()
            .where(
                b.c.id == row.id,
                b.c.touched_at == row.touched_at,
                or_(b.c.stale_noticed_for.is_(None), b.c.stale_noticed_for != b.c.touched_at),
            )
            .values(stale_noticed_for=b.c.touched_at)
        )
        if marked.rowcount == 1:
            await add_event(session, outbox, owner_notice(as_profile(row), "stale", settings))
            staged += 1
    return staged


async def rotate_token(session: AsyncSession, business_id: str) -> tuple[dict, str]:
    """A new edit token for the owner; the old one stops working at once."""
    await get_business(session, business_id, for_update=True)
    token = new_token("hbe")
    await session.execute(
        businesses.update().where(businesses.c.id == business_id).values(edit_token_hash=hash_token(token))
    )
    return await get_business(session, business_id), token
