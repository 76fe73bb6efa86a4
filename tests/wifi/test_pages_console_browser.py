"""The WLAN console as the office sees it: Debian's headless Chromium against a real wifi process, signed
in with a console session of the WLAN role (tests/support/console.py; the cookie as the login sets it:
HttpOnly, SameSite=Strict, Path=/verwaltung), axe-core on every page type in German and English. A site
goes down for real: a maintenance window that closes a second after it was planned, with no report heard,
leaves it `down`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import expect

from shared.console.access import CONSOLE_PATH, SESSION_COOKIE
from tests.support.browser import launch, serious_violations
from tests.support.console import console_session
from tests.wifi.conftest import OPERATOR, report, site, start_wifi

API = {"Authorization": f"Bearer {OPERATOR}"}


@pytest.fixture(scope="module")
def console_sites(wifi_nats, tmp_path_factory):
    """A wifi process with two sites: Kirchplatz down, Pferdemarkt working."""
    service = start_wifi(wifi_nats.url, tmp_path_factory.mktemp("wifi-console-browser"), WIFI_HEARTBEAT_TIMEOUT_S="600")
    with httpx.Client(base_url=service.url, headers=API, timeout=10) as client:
        ids, tokens = {}, {}
        for name in ("Kirchplatz", "Pferdemarkt"):
            created = client.post("/hotspots", json=site(name)).raise_for_status().json()
            ids[name], tokens[name] = created["id"], created["host_token"]
        host = {"Authorization": f"Bearer {tokens['Pferdemarkt']}"}
        client.post(f"/hotspots/{ids['Pferdemarkt']}/reports", json=report(), headers=host).raise_for_status()
        now = datetime.now(UTC)
        window = {
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(seconds=1)).isoformat(),
        }
        client.post(f"/hotspots/{ids['Kirchplatz']}/maintenance", json=window).raise_for_status()
        deadline = time.monotonic() + 30
        while client.get(f"/hotspots/{ids['Kirchplatz']}").json()["status"] != "down":
            assert time.monotonic() < deadline, "Kirchplatz did not go down after its maintenance window"
            time.sleep(0.2)
    yield service, ids
    service.kill()


@pytest.fixture(scope="module")
async def console_browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch(playwright)
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
def wifi_session(console_sites) -> str:
    """The cookie value of a session of the WLAN staff (minted here: async fixtures run in the loop)."""
    service, _ = console_sites
    return console_session(service, "wifi")


@pytest.fixture
async def office_page(console_browser, console_sites, wifi_session):
    """A fresh context with only the console's session cookie, scoped like the login's (Path=/verwaltung)."""
    context = await console_browser.new_context(locale="de-DE")
    host = urlsplit(console_sites[0].url).hostname
    cookie = {"name": SESSION_COOKIE, "value": wifi_session, "domain": host, "path": CONSOLE_PATH}
    await context.add_cookies([cookie | {"httpOnly": True, "sameSite": "Strict"}])
    yield await context.new_page()
    await context.close()


async def test_the_office_sees_the_down_site_first_plans_maintenance_and_renews_a_host_credential(
    console_sites, office_page
):
    service, _ = console_sites
    page = office_page
    await page.goto(service.url + "/verwaltung/wlan")
    await expect(page.get_by_role("heading", level=1)).to_have_text("WLAN-Standorte")
    await expect(page.locator("tbody tr").first).to_contain_text("Kirchplatz")
    await expect(page.locator("tbody tr").first).to_contain_text("ausgefallen")
    assert await serious_violations(page) == []

    await page.get_by_role("link", name="Pferdemarkt", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pferdemarkt")
    await page.get_by_label("Beginn").fill("2031-05-04T18:00")
    await page.get_by_label("Ende").fill("2031-05-04T17:00")
    await page.get_by_label("Grund").fill("Neuer Router")
    await page.get_by_role("button", name="Wartung planen").click()
    await expect(page.locator(".error-summary")).to_contain_text("Das Ende muss nach dem Beginn liegen.")
    await expect(page.get_by_label("Grund")).to_have_value("Neuer Router")
    assert await serious_violations(page) == []

    await page.get_by_label("Ende").fill("2031-05-04T20:00")
    await page.get_by_role("button", name="Wartung planen").click()
    await expect(page.get_by_role("status")).to_have_text("Die Wartung ist geplant.")
    await expect(page.locator("#wartung").locator("..")).to_contain_text("Neuer Router")
    assert await serious_violations(page) == []

    await page.get_by_role("link", name="Zugang erneuern").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Zugang für Pferdemarkt erneuern")
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Ja, neuen Zugang erzeugen").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Neuer Zugang für Pferdemarkt")
    await expect(page.locator("code.secret")).to_contain_text("hbh_")
    assert await serious_violations(page) == []


@pytest.mark.parametrize("language", ["de", "en"])
async def test_every_console_page_type_passes_axe(console_sites, office_page, language):
    service, ids = console_sites
    pages = [
        "/verwaltung/wlan",
        f"/verwaltung/wlan/{ids['Kirchplatz']}",
        f"/verwaltung/wlan/{ids['Pferdemarkt']}/meldungen",
        f"/verwaltung/wlan/{ids['Kirchplatz']}/zugang",
        "/verwaltung/wlan/neu",
        "/verwaltung/wlan/pflicht",
        f"/verwaltung/wlan/{ids['Kirchplatz']}/pflicht",
    ]
    for path in pages:
        await office_page.goto(f"{service.url}{path}?lang={language}")
        await expect(office_page.locator("html")).to_have_attribute("lang", language)
        assert await serious_violations(office_page) == [], path
