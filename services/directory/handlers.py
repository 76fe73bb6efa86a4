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

WITHDRAWN, SUPERSEDED = "withdrawn", "superseded"


async def get_profile(store: Store, business_id: str, *, for_update: bool = False) -> dict[str, Any]:
    profile = await store.get_profile(business_id, for_update=for_update)
    if profile is None:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    return profile


async def _apply(
    store: Store, profile: dict[str, Any], change: domain.Change, *, now: datetime, settings: DirectorySettings
) -> dict[str, Any]:
    """Store a change of an existing profile, stage its events, settle what waits for the office,
    recount when the count may move."""
    values = change.values
    if change.changed:
        values = values | search_columns({**profile, **values})
    if values:
        await store.update_profile(profile["id"], values)
    for event in change.events:
        await store.stage(event)
    if change.proposal is not None:
        await _settle_proposal(store, profile["id"], change.proposal, now=now)
    if change.recount:
        await fairtrade_handlers.recount(store, now=now, settings=settings)
    return {**profile, **values}


async def _settle_proposal(store: Store, business_id: str, fields: dict[str, Any], *, now: datetime) -> None:
    """The waiting change becomes `fields`: the pending one (if any) is superseded by a new one with its
    own id (so the office never approves text it has not seen), or withdrawn when nothing waits any more."""
    pending = await store.pending_change(business_id)
    if pending is not None:
        await store.update_change(pending["id"], {"status": SUPERSEDED if fields else WITHDRAWN, "decided_at": now})
    if fields:
        await store.insert_change(
            {
                "id": str(uuid.uuid4()),
                "business_id": business_id,
                "fields": fields,
                "status": domain.PROPOSAL_PENDING,
                "proposed_at": now,
                "decided_at": None,
                "note": None,
            }
        )


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
    store: Store,
    business_id: str,
    changes: dict[str, Any],
    *,
    now: datetime,
    settings: DirectorySettings,
    by_office: bool = False,
) -> dict[str, Any]:
    """Apply the sent fields (JSON values) under the review rule: on a published profile an owner's free
    text waits for the office (`pending_change`). Even an empty save confirms the profile as current."""
    profile = await get_profile(store, business_id, for_update=True)
    pending = await store.pending_change(business_id)
    change = domain.edit(profile, changes, now=now, by_office=by_office, pending=pending and pending["fields"])
    return await _apply(store, profile, change, now=now, settings=settings)


async def approve_change(
    store: Store, change_id: str, *, now: datetime, settings: DirectorySettings
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The office approves a waiting change: its fields go live, public events follow. Returns the
    change as decided and the profile."""
    profile, proposal = await _locked(store, change_id)
    change = domain.approve(profile, proposal, now=now)
    decided = {"status": "approved", "decided_at": now}
    await store.update_change(change_id, decided)
    return proposal | decided, await _apply(store, profile, change, now=now, settings=settings)


async def reject_change(
    store: Store, change_id: str, note: str, *, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The office rejects a waiting change with a note for the owner (on their page, and by mail when
    there is an address); nothing public changes. Returns the change as decided and the profile."""
    profile, proposal = await _locked(store, change_id)
    domain.check_undecided(proposal)
    decided = {"status": "rejected", "decided_at": now, "note": note}
    await store.update_change(change_id, decided)
    if profile.get("owner_email"):  # the owner's mail with the note; nothing public
        await store.stage(domain.owner_notice(profile, "change_rejected", None, note=note))
    return proposal | decided, profile


async def _locked(store: Store, change_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The profile of a change, locked (every writer of a profile's changes locks the profile first, so
    an owner's edit and the office's decision queue), and the change as it is under that lock."""
    proposal = await store.get_change(change_id)
    if proposal is None:
        raise NotFound("Änderung nicht gefunden / change not found", field="change_id")
    profile = await get_profile(store, proposal["business_id"], for_update=True)
    return profile, await store.get_change(change_id) or proposal


async def change_status(
    store: Store, business_id: str, target: str, *, now: datetime, settings: DirectorySettings
) -> dict[str, Any]:
    """Publish, unpublish or archive; the Fairtrade count follows in the same transaction."""
    profile = await get_profile(store, business_id, for_update=True)
    url = settings.profile_link(business_id)
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
            url = settings.profile_link(profile["id"])
            await store.stage(domain.owner_notice(profile, "stale", url))
            staged += 1
    return staged


async def rotate_token(store: Store, business_id: str) -> tuple[dict[str, Any], str]:
    """A new edit token for the owner; the old one stops working at once."""
    profile = await get_profile(store, business_id, for_update=True)
    token = new_token("hbe")
    token_hash = hash_token(token)
    await store.update_profile(business_id, {"edit_token_hash": token_hash})
    return profile | {"edit_token_hash": token_hash}, token


async def sign_up(
    store: Store, fields: dict[str, Any], *, now: datetime, settings: DirectorySettings
) -> tuple[dict[str, Any], str]:
    """Self-registration on the website: a new pending profile, and in the same transaction the owner's
    mail with the edit link, which is also how a half-finished sign-up is resumed."""
    profile, token = await register_business(store, fields, self_registered=True, now=now)
    edit_url = settings.edit_link(profile["id"], token)
    await store.stage(domain.owner_notice(profile, "registered", None, edit_url=edit_url))
    return profile, token


# At most this many profiles of one owner address get a new link per request (one mail each).
LINKS_PER_REQUEST = 10


async def send_edit_links(store: Store, owner_email: str, *, settings: DirectorySettings) -> int:
    """ "Send me my link again": each profile of this owner address (not archived) gets a new edit token,
    so the old link stops working, and the owner a mail with the new link, only to the stored address.
    Returns how many; the caller answers alike whatever it is, so nobody learns whether an address
    is known."""
    sent = 0
    for found in await store.profiles_of_owner(owner_email.strip(), LINKS_PER_REQUEST):
        profile, token = await rotate_token(store, found["id"])
        if profile["status"] == domain.ARCHIVED or not profile.get("owner_email"):
            continue
        public = settings.profile_link(profile["id"]) if profile["status"] == domain.PUBLISHED else None
        await store.stage(
            domain.owner_notice(profile, "link", public, edit_url=settings.edit_link(profile["id"], token))
        )
        sent += 1
    return sent
