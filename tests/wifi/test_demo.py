"""`hallobot up --demo` creates the six Wifi4EU sites, once."""

from __future__ import annotations

import asyncio

from hallobot.demo.wifi import SITES, create_demo_hotspots
from tests.wifi.conftest import OPERATOR


async def test_the_demo_creates_the_six_downtown_sites_once(http, wifi):
    created = await asyncio.to_thread(create_demo_hotspots, wifi.url, OPERATOR)
    assert sorted(h["site_name"] for h in created) == sorted(site[0] for site in SITES)
    assert all(h["host_token"].startswith("hbh_") for h in created)
    assert await asyncio.to_thread(create_demo_hotspots, wifi.url, OPERATOR) == []
