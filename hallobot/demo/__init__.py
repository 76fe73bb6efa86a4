"""The demo data of `hallobot up --demo`, created through the services' HTTP APIs (idempotent): the six
Wifi4EU hotspot sites, a few Bottrop businesses with the Fairtrade-Town campaign and the networks, event series, and an
admin account of the console."""

from __future__ import annotations

from hallobot.demo.console import create_demo_admin
from hallobot.demo.directory import load_demo_directory
from hallobot.demo.events import load_demo_events
from hallobot.demo.wifi import create_demo_hotspots


def load_demo_data(urls: dict[str, str], token: str) -> None:
    """Create the demo data at the services' `urls` (by service name) with the operator `token`,
    printing what a person needs (each hotspot host's token is shown once)."""
    for hotspot in create_demo_hotspots(urls["wifi"], token):
        _say(f"demo hotspot {hotspot['site_name']}: id {hotspot['id']}, host token {hotspot['host_token']}")
    directory = load_demo_directory(urls["directory"], token)
    _say(f"demo directory: {len(directory['businesses'])} new businesses, the networks and the Fairtrade campaign")
    _say(f"demo events: {len(load_demo_events(urls['events'], token))} new events")
    email, password = create_demo_admin(urls["notifications"], token)
    if password:
        _say(f"demo console account (/verwaltung): {email}, password {password} (shown once)")
    else:
        _say(f"demo console account (/verwaltung): {email} (made at an earlier start)")


def _say(message: str) -> None:
    print(message, flush=True)
