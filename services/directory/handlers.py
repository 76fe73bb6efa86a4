"""Use cases of business profiles. Each takes plain values and a `Store` on the caller's transaction,
asks domain.py what changes, and stores the state and its events together."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.directory import domain, fairtrade_handlers
from services.directory.config import DirectorySettings
from services.directory.ports import Store
from services.directory.profile_checks import add_months
from services.directory.search_text import search_columns
from shared.auth import hash_token, new_token
from shared.errors import NotFound


async def get_profile(store: Store, business_id: str, *, for_update: bool = False) -> dict[str, Any]:
    profile = await store.get_profile(business_id, for_update=for_update)
    if profile is None:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    return profile


async def _apply(store: Store, profile: dict[str, Any], change: domain.Change, **kwargs: Any) -> dict[str, Any]:
    """Store a change of an existing profile, stage its events, recount when the count may move."""
    values = change.values
    if change.changed:
        values = values | search_columns({**profile, **values})
    if values:
        await store.update_profile(profile["id"], values)
    for event in change.events:
        await store.stage(event)
    if change.recount:
        await fairtrade_handlers.recount(store, **kwargs)
    return {**profile, **values}


async def register_business(
    store: Store, fields: dict[str, Any], *, self_registered: bool, now: datetime
) -> tuple[dict[str, Any], str]:
    """A new pending profile from its fields (JSON values); returns it with the owner's edit token,
    which is stored only as a hash."""
    token = new_token("hbe")
    change = domain.register(
        fields, business_id=str(uuid.uuid4()), self_registered=self_registered, token_hash=hash_token(token), now=now
    )
    values = change.values | search_columns(change.values)
    await store.insert_profile(values)
    for event in change.events:
        await store.stage(event)
    return values, token


async def update_business(
    store: Store, business_id: str, changes: dict[str, Any], *, now: datetime, settings: DirectorySettings
) -> dict[str, Any]:
    """Apply the sent fields (JSON values); even an empty save confirms the profile as current."""
    profile = await get_profile(store, business_id, for_update=True)
    return await _apply(store, profile, domain.edit(profile, changes, now=now), now=now, settings=settings)


async def change_status(
    store: Store, business_id: str, target: str, *, now: datetime, settings: DirectorySettings
) -> dict[str, Any]:
    """Publish, unpublish or archive; the Fairtrade count follows in the same transaction."""
    profile = await get_profile(store, business_id, for_update=True)
    url = settings.public_url.format(id=business_id)
    change = domain.change_status(profile, target, now=now, profile_url=url)
    return await _apply(store, profile, change, now=now, settings=settings)


async def notify_stale_owners(store: Store, *, now: datetime, settings: DirectorySettings, limit: int = 200) -> int:
    """One nudge per stale period (`domain.stale_notice_due`). The mark (`stale_noticed_for` = that
    `touched_at`) and the notice commit together; the conditional mark keeps two instances from both
    nudging. Returns how many notices were staged."""
    cutoff = add_months(now, -settings.stale_after_months)
    staged = 0
    for profile in await store.stale_candidates(cutoff, limit):
        if await store.mark_stale_noticed(profile["id"], profile["touched_at"]):
            url = settings.public_url.format(id=profile["id"])
            await store.stage(domain.owner_notice(profile, "stale", url))
            staged += 1
    return staged


async def rotate_token(store: Store, business_id: str) -> tuple[dict[str, Any], str]:
    """A new edit token for the owner; the old one stops working at once."""
    profile = await get_profile(store, business_id, for_update=True)
    token = new_token("hbe")
    await store.update_profile(business_id, {"edit_token_hash": hash_token(token)})
    return profile, token
