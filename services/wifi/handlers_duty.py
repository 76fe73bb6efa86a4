"""Use case of the Wifi4EU duty: the office sets the first day of a hotspot's obligation period (the
figures: domain_duty.py, queries_duty.py). It changes no status and stages no event."""

from __future__ import annotations

from datetime import date

from services.wifi.ports import WifiStore
from shared.errors import Invalid, NotFound

# Wifi4EU's first call was in 2018: no hotspot's duty began earlier.
EARLIEST_START = date(2018, 1, 1)


async def set_duty_start(store: WifiStore, hotspot_id: str, start: date | None) -> None:
    """Set the start day (None: back to the default, the day the hotspot was registered)."""
    if start is not None and start < EARLIEST_START:
        raise Invalid("the obligation period cannot begin before 2018 (Wifi4EU's first call)", field="start")
    if not await store.hotspot_exists(hotspot_id):
        raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
    await store.update_hotspot(hotspot_id, {"duty_start": start})
