"""Journey 6, the office's morning look at new sign-ups (docs/journeys.md), through the front door in Chromium:
the review queue lists a new self-registered profile, its page shows the owner's text, a note left empty
is named in the error summary; sent back with a note, the owner gets the mail, reads the note on their
page and saves; the profile is back in the queue, and "Veröffentlichen" puts it in the public directory.
axe-core finds no serious or critical violation on the directory's console pages (and the owner's page
with the note), in German and English. The office logs in on the way, with an account of the office's
role (tests/web/console_login.py) and takes the business into the Wirtschaftsallianz, whose badge leads a
citizen to the network's page; a citizen who opens the console is sent to the login page."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.async_api import expect

from tests.notifications.conftest import body_text, until
from tests.support.browser import serious_violations
from tests.support.console import log_in_on_the_way


async def accessible(page) -> None:
    assert await serious_violations(page) == [], page.url


async def test_the_office_reviews_a_new_sign_up_and_publishes_it(site, browser):
    word = uuid.uuid4().hex[:6]
    name, address = f"Kaffeerösterei Probe {word}", f"roesterei-{word}@example.org"
    body = {"name": name, "category": "gastronomie", "description": "Kaffee <aus> eigener Röstung.",
            "owner_email": address}  # fmt: skip
    created = httpx.post(f"{site.url}/api/directory/businesses", json=body, timeout=15)
    assert created.status_code == 201
    business_id, edit_token = created.json()["id"], created.json()["edit_token"]
    context = await browser.new_context(locale="de-DE")
    office = await context.new_page()
    try:
        await log_in_on_the_way(office, site, "office", "/verwaltung/verzeichnis")
        await expect(office.get_by_role("heading", level=1)).to_have_text("Verzeichnis: zu prüfen")
        await accessible(office)
        await office.get_by_role("link", name=name).click()
        await expect(office.get_by_role("heading", level=1)).to_have_text(name)
        await expect(office.get_by_text("Kaffee <aus> eigener Röstung.")).to_be_visible()  # text, not markup
        await accessible(office)
        await office.get_by_role("button", name="Mit Notiz an den Inhaber zurückgeben").click()
        await expect(office.locator(".error-summary")).to_contain_text("Bitte füllen Sie dieses Feld aus.")
        await accessible(office)
        await office.get_by_label("Notiz für den Inhaber").fill("Bitte nennen Sie Ihre Öffnungszeiten.")
        await office.get_by_role("button", name="Mit Notiz an den Inhaber zurückgeben").click()
        await expect(office.get_by_role("status")).to_contain_text("Der Eintrag ist zurück beim Inhaber")
        await expect(office.locator("#zurueck + p + ul")).to_contain_text(name)
        await accessible(office)
        # the owner's mail says why; the owner adds the hours and saves, and the profile is back in the queue
        assert await until(lambda: site.smtp.to(address), timeout=30)
        (mail,) = site.smtp.to(address)
        assert mail["Subject"] == f"Bitte ergänzen Sie Ihren Eintrag: {name}"
        assert "Bitte nennen Sie Ihre Öffnungszeiten." in body_text(mail)
        owner = await browser.new_context(locale="de-DE")
        try:
            mine = await owner.new_page()
            await mine.goto(f"{site.url}/verzeichnis/eintrag/zugang?token={edit_token}")
            await expect(mine.get_by_role("heading", level=2, name=re.compile("Nachricht des Amts"))).to_be_visible()
            await accessible(mine)
            await mine.locator("#f-mo_von").fill("08:00")
            await mine.locator("#f-mo_bis").fill("18:00")
            await mine.get_by_role("button", name="Speichern").click()
            await expect(mine.get_by_role("status")).to_contain_text("Gespeichert.")
        finally:
            await owner.close()
        await office.goto(site.url + "/verwaltung/verzeichnis")
        await office.locator("#neu + table").get_by_role("link", name=name).click()
        await office.get_by_role("button", name="Veröffentlichen").click()
        await expect(office.get_by_role("status")).to_contain_text("Der Eintrag ist veröffentlicht.")
        assert office.url.endswith("/verwaltung/verzeichnis?erledigt=veroeffentlicht")
        # the office takes it into the Wirtschaftsallianz (the networks, issue 17)
        await office.get_by_role("link", name="Netzwerke").click()
        await accessible(office)
        await office.get_by_role("link", name="Wirtschaftsallianz Bottrop").click()
        await office.get_by_label("Eintrag", exact=True).fill(f"{site.url}/verzeichnis/{business_id}")
        await office.get_by_role("button", name="Aufnehmen").click()
        await expect(office.get_by_role("status")).to_contain_text("Der Betrieb ist jetzt Mitglied.")
        await expect(office.locator("#mitglieder + table")).to_contain_text(name)
        await accessible(office)
        profile = f"/verwaltung/verzeichnis/{business_id}"
        for path in (f"{profile}/bearbeiten", f"{profile}/archivieren", "/verwaltung/verzeichnis/eintraege",
                     "/verwaltung/fairtrade", "/verwaltung/fairtrade/dossier"):  # fmt: skip
            await office.goto(site.url + path)
            await accessible(office)
        networks = "/verwaltung/verzeichnis/netzwerke"
        for path in ("/verwaltung/verzeichnis", profile, f"{profile}/bearbeiten", "/verwaltung/fairtrade",
                     "/verwaltung/fairtrade/dossier", networks, f"{networks}/wirtschaftsallianz"):  # fmt: skip
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
        await page.get_by_role("link", name="Mitglied: Wirtschaftsallianz Bottrop").click()  # the badge
        await expect(page.get_by_role("heading", level=1)).to_have_text("Wirtschaftsallianz Bottrop")
        await expect(page.get_by_role("link", name=name)).to_be_visible()
        await accessible(page)
        await page.get_by_role("link", name="Alle Netzwerke").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Netzwerke")
        await accessible(page)
        await page.goto(site.url + "/verwaltung/verzeichnis")  # no session: the login page
        await expect(page).to_have_url(f"{site.url}/verwaltung/anmelden?weiter=/verwaltung/verzeichnis")
        await expect(page.get_by_role("heading", level=1)).to_have_text("In der Verwaltung anmelden")
    finally:
        await citizen.close()
