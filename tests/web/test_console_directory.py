"""Journey 6, the office's morning look at new sign-ups (JOURNEYS.md), through the front door in Chromium:
the review queue lists a new self-registered profile, its page shows the owner's text, a note left empty
is named in the error summary, "Veröffentlichen" puts it in the public directory. axe-core finds no
serious or critical violation on the directory's console pages, in German and English. Until the console
has sessions, the browser presents the operator token (an extra HTTP header of the context)."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import expect

from tests.support.browser import serious_violations
from tests.support.system import OPERATOR


async def accessible(page) -> None:
    assert await serious_violations(page) == [], page.url


async def test_the_office_reviews_a_new_sign_up_and_publishes_it(site, browser):
    name = f"Kaffeerösterei Probe {uuid.uuid4().hex[:6]}"
    body = {"name": name, "category": "gastronomie", "description": "Kaffee <aus> eigener Röstung.",
            "owner_email": "roesterei@example.org"}  # fmt: skip
    created = httpx.post(f"{site.url}/api/directory/businesses", json=body, timeout=15)
    assert created.status_code == 201
    business_id = created.json()["id"]
    context = await browser.new_context(locale="de-DE", extra_http_headers=OPERATOR)
    office = await context.new_page()
    try:
        await office.goto(site.url + "/verwaltung/verzeichnis")
        await expect(office.get_by_role("heading", level=1)).to_have_text("Verzeichnis: zu prüfen")
        await accessible(office)
        await office.get_by_role("link", name=name).click()
        await expect(office.get_by_role("heading", level=1)).to_have_text(name)
        await expect(office.get_by_text("Kaffee <aus> eigener Röstung.")).to_be_visible()  # text, not markup
        await accessible(office)
        await office.get_by_role("button", name="Mit Notiz an den Inhaber zurückgeben").click()
        await expect(office.locator(".error-summary")).to_contain_text("Bitte füllen Sie dieses Feld aus.")
        await accessible(office)
        await office.get_by_role("button", name="Veröffentlichen").click()
        await expect(office.get_by_role("status")).to_contain_text("Der Eintrag ist veröffentlicht.")
        assert office.url.endswith("/verwaltung/verzeichnis?erledigt=veroeffentlicht")
        profile = f"/verwaltung/verzeichnis/{business_id}"
        for path in (f"{profile}/bearbeiten", f"{profile}/archivieren", "/verwaltung/verzeichnis/eintraege",
                     "/verwaltung/fairtrade"):  # fmt: skip
            await office.goto(site.url + path)
            await accessible(office)
        for path in ("/verwaltung/verzeichnis", profile, f"{profile}/bearbeiten", "/verwaltung/fairtrade"):
            await office.goto(site.url + path + "?lang=en")
            assert await office.get_attribute("html", "lang") == "en"
            await accessible(office)
    finally:
        await context.close()
    citizen = await browser.new_context(locale="de-DE")
    try:
        page = await citizen.new_page()
        await page.goto(f"{site.url}/verzeichnis/{business_id}")
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)
        answer = await page.goto(site.url + "/verwaltung/verzeichnis")
        assert answer is not None and answer.status == 401  # no credential: the error page
        await expect(page.get_by_role("heading", level=1)).to_have_text("Bitte melden Sie sich an")
    finally:
        await citizen.close()
