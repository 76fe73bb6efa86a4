"""The six Wifi4EU sites downtown, created by `hallobot up --demo` through the wifi HTTP API.

Hosts and access points are demo values; coordinates are approximate.
"""

from __future__ import annotations

from typing import Any

import httpx

SITES = (
    (
        "Gladbecker Straße",
        "Demo: Buchhandlung Gladbecker Straße",
        "Gladbecker Straße 10, 46236 Bottrop",
        51.5215,
        6.9305,
        "outdoor",
    ),
    ("Berliner Platz/ZOB", "Demo: Kiosk am ZOB", "Berliner Platz 1, 46236 Bottrop", 51.5243, 6.9254, "outdoor"),
    ("Kirchplatz", "Demo: Café am Kirchplatz", "Kirchplatz 2, 46236 Bottrop", 51.5237, 6.9287, "outdoor"),
    (
        "Hansastraße (Mensingbrunnen)",
        "Demo: Optik Hansastraße",
        "Hansastraße 5, 46236 Bottrop",
        51.5221,
        6.9266,
        "outdoor",
    ),
    ("Pferdemarkt", "Demo: Eiscafé Pferdemarkt", "Pferdemarkt 3, 46236 Bottrop", 51.5226, 6.9245, "outdoor"),
    (
        "Kulturkirche",
        "Demo: Kulturkirche Heilig Kreuz",
        "Scharnhölzstraße 37, 46236 Bottrop",
        51.5297,
        6.9256,
        "indoor",
    ),
)


def create_demo_hotspots(wifi_url: str, operator_token: str) -> list[dict[str, Any]]:
    """Create the sites that do not exist yet (by site name); returns the new ones with their host tokens."""
    headers = {"Authorization": f"Bearer {operator_token}"}
    with httpx.Client(base_url=wifi_url, timeout=10, headers=headers) as client:
        existing = {hotspot["site_name"] for hotspot in client.get("/hotspots").raise_for_status().json()}
        created = []
        for number, (name, host, address, lat, lon, placement) in enumerate(SITES, 1):
            if name in existing:
                continue
            body = {
                "site_name": name,
                "host_business": host,
                "address": address,
                "latitude": lat,
                "longitude": lon,
                "ap_model": "Wifi4EU AP (Demo)",
                "ap_serial": f"DEMO-{number:04d}",
                "ap_mac": f"02:00:00:00:00:{number:02x}",
                "placement": placement,
                "report_interval_s": 60,
            }
            created.append(client.post("/hotspots", json=body).raise_for_status().json())
        return created
