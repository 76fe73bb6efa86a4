"""Use cases of the wifi service around the hotspots themselves: register, change, rotate the host
credential, plan and cancel maintenance. Each runs in the caller's transaction (a `WifiStore`) and stages its
events there. Reports: handlers_reports.py; the periodic check: handlers_status.py; reads: queries.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from services.wifi.config import WifiSettings
from services.wifi.handlers_status import tick
from services.wifi.ports import WifiStore
from shared.auth import hash_token, new_token
from shared.catalog import HotspotRegistered, HotspotRenamed
from shared.errors import Conflict, Invalid, NotFound


async def create_hotspot(store: WifiStore, fields: Mapping[str, Any], now: datetime) -> tuple[str, str]:
    """Register a hotspot (`fields`: site, host and access point, as in schemas.HotspotCreate); returns its
    id and the host credential, which is stored only as a hash."""
    token = new_token("hbh")
    hotspot_id = str(uuid.uuid4())
    await store.add_hotspot(hotspot_id, fields, hash_token(token), now)
    await store.add_event(HotspotRegistered(hotspot_id=hotspot_id, site_name=fields["site_name"]))
    return hotspot_id, token


async def update_hotspot(store: WifiStore, hotspot_id: str, changes: Mapping[str, Any]) -> None:
    """Change the given fields (only those given; none may be null). A new site name is an event
    (`wifi.hotspot.renamed`): the notifications service names the site by it from then on."""
    for key, value in changes.items():
        if value is None:
            raise Invalid(f"{key} cannot be null", field=key)
    await _existing(store, hotspot_id)
    if not changes:
        return
    previous = (await store.site_names())[hotspot_id]
    await store.update_hotspot(hotspot_id, changes)
    name = changes.get("site_name")
    if name is not None and name != previous:
        await store.add_event(HotspotRenamed(hotspot_id=hotspot_id, site_name=name, previous_site_name=previous))


async def rotate_token(store: WifiStore, hotspot_id: str) -> str:
    """A new host credential; the old one stops working."""
    await _existing(store, hotspot_id)
    token = new_token("hbh")
    await store.update_hotspot(hotspot_id, {"token_hash": hash_token(token)})
    return token


async def add_maintenance(
    store: WifiStore,
    hotspot_id: str,
    starts_at: datetime,
    ends_at: datetime,
    note: str,
    *,
    now: datetime,
    settings: WifiSettings,
) -> dict[str, Any]:
    """Plan a maintenance window; one that has already begun takes effect at once."""
    if ends_at <= starts_at:
        raise Invalid("ends_at must be after starts_at", field="ends_at")
    await _existing(store, hotspot_id)
    window = dict(
        id=str(uuid.uuid4()),
        hotspot_id=hotspot_id,
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        note=note,
        created_at=now,
    )
    await store.add_maintenance(window)
    state = (await store.locked_states(hotspot_id))[hotspot_id]
    await tick(store, hotspot_id, state, now, settings.heartbeat_timeout)
    return window


async def cancel_maintenance(
    store: WifiStore, hotspot_id: str, window_id: str, *, now: datetime, settings: WifiSettings
) -> None:
    """Call off a window still to come, or end a running one now: its time so far stays maintenance in
    the history (the status periods), and the hotspot resumes at once. A window that is over stays."""
    window = await store.maintenance_of(hotspot_id, window_id)
    if window is None:
        raise NotFound(f"no maintenance window {window_id} at hotspot {hotspot_id}", field="window_id")
    if window["ends_at"] <= now:
        raise Conflict("this maintenance window is over", field="window_id")
    if window["starts_at"] > now:
        await store.remove_maintenance(window_id)
    else:
        await store.end_maintenance(window_id, now)
    state = (await store.locked_states(hotspot_id))[hotspot_id]
    await tick(store, hotspot_id, state, now, settings.heartbeat_timeout)


async def _existing(store: WifiStore, hotspot_id: str) -> None:
    if not await store.hotspot_exists(hotspot_id):
        raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
