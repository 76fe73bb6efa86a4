"""A citizen checks the free WLAN downtown, through the front door in Chromium: /wlan shows the sites,
one of them down; its page tells the fault and the planned maintenance. Keyboard and axe-core too.

The sites are created through the API (as the operator) with run-unique names, since the whole system
is shared by the journeys of one test run. A site goes down for real: a maintenance window that ends
a few seconds after it was planned, with no report heard, leaves it `down` at the next check."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.async_api import expect

from hallobot.demo.wifi import SITES
from tests.support.browser import serious_violations
from tests.support.system import OPERATOR

RUN = uuid.uuid4().hex[:4].upper()


def name(site: str) -> str:
    return f"{site} {RUN}"


@pytest.fixture(scope="module")
def wlan(site) -> dict[str, str]:
    """Six sites by name → id: Kirchplatz down with maintenance planned, Pferdemarkt working,
    Berliner Platz faulty, the others not heard from yet."""
    api = site.url + "/api/wifi"
    ids, tokens = {}, {}
    with httpx.Client(base_url=api, timeout=10, headers=OPERATOR) as client:
        for number, (site_name, host, address, lat, lon, placement) in enumerate(SITES, 1):
            body = {
                "site_name": name(site_name),
                "host_business": host,
                "address": address,
                "latitude": lat,
                "longitude": lon,
                "ap_model": "Wifi4EU AP",
                "ap_serial": f"J-{RUN}-{number}",
                "ap_mac": f"02:00:00:00:01:{number:02x}",
                "placement": placement,
            }
            created = client.post("/hotspots", json=body).raise_for_status().json()
            ids[site_name], tokens[site_name] = created["id"], created["host_token"]
        now = datetime.now(UTC)
        kirchplatz = f"/hotspots/{ids['Kirchplatz']}/maintenance"
        soon = {
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(seconds=1)).isoformat(),
        }
        client.post(kirchplatz, json={**soon, "note": "Kurze Prüfung"}).raise_for_status()
        planned = {
            "starts_at": (now + timedelta(days=2)).isoformat(),
            "ends_at": (now + timedelta(days=2, hours=3)).isoformat(),
            "note": "Neue Antenne auf dem Dach",
        }
        client.post(kirchplatz, json=planned).raise_for_status()
    for site_name, uplink_ok in (("Pferdemarkt", True), ("Berliner Platz/ZOB", False)):
        report = {"timestamp": datetime.now(UTC).isoformat(), "uplink_ok": uplink_ok, "clients": 2}
        headers = {"Authorization": f"Bearer {tokens[site_name]}"}
        httpx.post(f"{api}/hotspots/{ids[site_name]}/reports", json=report, headers=headers).raise_for_status()
    deadline = time.monotonic() + 30
    while httpx.get(f"{api}/hotspots/{ids['Kirchplatz']}").json()["status"] != "down":
        assert time.monotonic() < deadline, "Kirchplatz did not go down after its maintenance window"
        time.sleep(0.3)
    return ids


async def test_a_citizen_sees_a_site_down_and_reads_its_fault_and_planned_maintenance(site, wlan, page):
    await page.goto(site.url + "/wlan")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Freies WLAN in der Innenstadt")
    card = page.locator(".wlan-sites li").filter(has_text=name("Kirchplatz"))
    await expect(card).to_contain_text("ausgefallen")
    await expect(card).to_contain_text("Der Standort meldet sich nicht mehr.")
    await expect(page.locator(".wlan-sites li").filter(has_text=name("Pferdemarkt"))).to_contain_text("in Betrieb")
    await expect(page.locator(".wlan-sites li").filter(has_text=name("Berliner Platz/ZOB"))).to_contain_text("gestört")
    await expect(page.get_by_role("img", name="Karte der WLAN-Standorte")).to_be_visible()
    assert await serious_violations(page) == []

    await page.get_by_role("link", name=name("Kirchplatz"), exact=True).click()
    await expect(page).to_have_url(site.url + f"/wlan/{wlan['Kirchplatz']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"WLAN am Standort {name('Kirchplatz')}")
    faults = page.locator("section").filter(has=page.get_by_role("heading", name="Störungen"))
    await expect(faults).to_contain_text("ausgefallen")
    await expect(faults).to_contain_text("dauert an")
    planned = page.locator("section").filter(has=page.get_by_role("heading", name="Geplante Wartung"))
    await expect(planned).to_contain_text("Neue Antenne auf dem Dach")
    await expect(page.get_by_role("table")).to_contain_text("%")
    assert await serious_violations(page) == []


async def test_every_site_link_is_reached_with_tab_and_the_english_pages_pass_axe(site, wlan, page):
    await page.goto(site.url + "/wlan?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Free Wi-Fi in the town centre")
    await expect(page.locator(".wlan-sites li").filter(has_text=name("Kirchplatz"))).to_contain_text("out of service")
    assert await serious_violations(page) == []

    wanted = {f"/wlan/{hotspot_id}" for hotspot_id in wlan.values()}
    links = await page.locator("a[href]").count()
    reached = set()
    for _ in range(links + 5):
        await page.keyboard.press("Tab")
        reached.add(await page.evaluate("document.activeElement.getAttribute('href')"))
    assert wanted <= reached

    await page.goto(site.url + f"/wlan/{wlan['Kirchplatz']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Wi-Fi at {name('Kirchplatz')}")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    assert await serious_violations(page) == []
