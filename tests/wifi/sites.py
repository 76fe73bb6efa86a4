"""A hotspot's registration fields for tests that need a site and do not care which."""

from __future__ import annotations

from services.wifi.schemas import HotspotCreate


def site(name: str, **fields: object) -> dict:
    """The fields of a hotspot called `name` (its serial too); `fields` replace any of them."""
    values: dict[str, object] = {
        "site_name": name,
        "host_business": "Host",
        "address": "Bottrop",
        "latitude": 51.52,
        "longitude": 6.93,
        "ap_model": "AP",
        "ap_serial": name,
        "ap_mac": "02:00:00:00:00:01",
        "placement": "outdoor",
    }
    return HotspotCreate.model_validate(values | fields).model_dump()
