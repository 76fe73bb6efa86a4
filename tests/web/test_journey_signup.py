"""Journey 1, a shop owner signs up (docs/journeys.md), through the front door in Chromium: on a 360 px
phone, six answers, check them, send; the mail's link opens the owner's page, which shows what is
missing; the owner completes the profile; the office publishes it; it is found by search and appears
on the live feed. axe-core finds no serious or critical violation on any step, in German and English."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx
from playwright.async_api import expect

from tests.notifications.conftest import body_text, until
from tests.support.browser import serious_violations
from tests.support.system import OPERATOR


async def accessible(page) -> None:
    assert await serious_violations(page) == [], page.url


def edit_link(mail) -> str:
    found = re.search(r"(http://\S+/verzeichnis/eintrag/zugang\?token=\S+)", body_text(mail))
    assert found, body_text(mail)
    return found.group(1)


async def completeness(page) -> int:
    return int(await page.locator("#fortschritt").get_attribute("value"))


async def published_on_the_feed(site, business_id: str, timeout: float = 20.0) -> bool:
    """Whether the live feed (its recent backlog) tells of this profile's publication."""
    url = site.url + "/api/notifications/feed"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=3.0)) as client:
                async with client.stream("GET", url, params={"backlog": 50}) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data:") and business_id in line and "published" in line:
                            return True
        except httpx.ReadTimeout:
            pass  # the backlog was told; nothing about this profile yet
        await asyncio.sleep(0.5)
    return False


async def test_a_shop_owner_signs_up_on_a_phone_completes_the_profile_and_is_found_once_published(site, phone):
    word = uuid.uuid4().hex[:8]
    name, address = f"Blumen Becker {word}", f"becker-{word}@example.org"
    await phone.goto(site.url + "/verzeichnis/eintragen")
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Ihr Betrieb bei HalloBot – kostenlos eintragen")
    await accessible(phone)
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    await phone.get_by_label("Name des Betriebs").fill(name)
    await phone.get_by_label("Art des Betriebs").select_option(label="Einzelhandel")
    await phone.get_by_label("Straße und Hausnummer").fill("Hansastraße 5")
    await phone.get_by_label("Postleitzahl").fill("4623")  # one digit short
    await phone.get_by_label("Ihre E-Mail-Adresse").fill(address)
    await phone.get_by_role("button", name="Weiter: Angaben prüfen").click()
    await expect(phone.locator("#e-postal_code")).to_be_visible()
    await expect(phone.get_by_label("Name des Betriebs")).to_have_value(name)  # nothing wiped
    await accessible(phone)
    await phone.get_by_label("Postleitzahl").fill("46236")
    await phone.get_by_role("button", name="Weiter: Angaben prüfen").click()

    await expect(phone.get_by_role("heading", level=1)).to_have_text("Stimmen Ihre Angaben?")
    await expect(phone.locator("dl.answers")).to_contain_text(name)
    await expect(phone.locator("dl.answers")).to_contain_text("Einzelhandel")
    await accessible(phone)
    await phone.get_by_role("button", name="Absenden").click()
    await expect(phone.get_by_text("Wir prüfen Ihren Eintrag, meist innerhalb von zwei Werktagen")).to_be_visible()
    await accessible(phone)

    assert await until(lambda: site.smtp.to(address), timeout=30)
    (mail,) = site.smtp.to(address)
    assert mail["Subject"] == f"Danke für Ihre Anmeldung: {name}"
    link = edit_link(mail)
    assert link.startswith(site.url + "/")

    await phone.goto(link)  # the token is traded for the session cookie, the address is clean again
    assert phone.url == site.url + "/verzeichnis/eintrag"
    await expect(phone.get_by_role("heading", level=1)).to_have_text(name)
    await expect(phone.get_by_text("Noch 7 Angaben bis zum vollständigen Eintrag")).to_be_visible()
    await accessible(phone)
    before = await completeness(phone)

    await phone.locator("#f-description").fill("Frische Schnittblumen, Sträuße und Trauerfloristik in Bottrop.")
    await phone.locator("#f-offerings").fill(f"Schnittblumen\nSträuße\nFloristik {word}")
    for day in ("mo", "tu", "we", "th", "fr"):
        await phone.locator(f"#f-{day}_von").fill("09:00")
        await phone.locator(f"#f-{day}_bis").fill("18:00")
    await phone.get_by_label("Wir nehmen den Bottrop-Gutschein an.").check()
    await phone.get_by_label("Man kann bei uns bestellen und abholen.").check()
    await phone.locator("#f-phone").fill("02041 55555")
    await phone.get_by_role("button", name="Speichern").click()
    await expect(phone.get_by_text("Gespeichert.")).to_be_visible()
    assert phone.url == site.url + "/verzeichnis/eintrag?gespeichert=1"
    assert await completeness(phone) > before
    await expect(phone.get_by_text("Noch 3 Angaben bis zum vollständigen Eintrag")).to_be_visible()

    api = site.url + "/api/directory/businesses"
    with httpx.Client(timeout=10) as office:
        pending = office.get(api, params={"status": "pending", "q": word}, headers=OPERATOR).json()["items"]
        (mine,) = [b for b in pending if b["owner_email"] == address]
        assert mine["opening_hours"] == "Mo-Fr 09:00-18:00; PH off" and mine["accepts_gutschein"] and mine["pickup"]
        assert office.get(api, params={"q": word}).json()["total"] == 0  # not public before the office's review
        assert office.post(f"{api}/{mine['id']}/publish", headers=OPERATOR).status_code == 200
        found = office.get(api, params={"q": f"floristik {word}"}).json()
        assert [b["id"] for b in found["items"]] == [mine["id"]]
    assert await published_on_the_feed(site, mine["id"])
    assert await until(lambda: len(site.smtp.to(address)) == 2, timeout=30)
    assert site.smtp.to(address)[1]["Subject"] == f"Ihr Eintrag ist veröffentlicht: {name}"


async def test_the_sign_up_and_the_owners_page_in_english_pass_axe_and_keep_the_answers(site, page):
    word = uuid.uuid4().hex[:8]
    address = f"owner-{word}@example.org"
    await page.goto(site.url + "/verzeichnis/eintragen?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("List your business on HalloBot – free of charge")
    await page.get_by_role("button", name="Next: check your details").click()  # nothing filled in
    await expect(page.locator(".error-summary")).to_be_visible()
    await accessible(page)
    await page.get_by_label("Name of the business").fill(f"Corner Shop {word}")
    await page.get_by_label("Kind of business").select_option(label="Food and drink")
    await page.get_by_label("Street and house number").fill("Kirchplatz 1")
    await page.get_by_label("Postcode").fill("46236")
    await page.get_by_label("Your email address").fill(address)
    await page.get_by_role("button", name="Next: check your details").click()
    await expect(page.locator("dl.answers")).to_contain_text("Food and drink")
    await accessible(page)
    await page.get_by_role("button", name="Change").click()  # back, with every answer in place
    await expect(page.get_by_label("Street and house number")).to_have_value("Kirchplatz 1")
    await page.get_by_role("button", name="Next: check your details").click()
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_text("We check your listing, usually within two working days")).to_be_visible()
    await accessible(page)
    await page.get_by_role("link", name="Add more details now").click()  # signed in since the sign-up
    await expect(page.get_by_text("7 more details until your listing is complete")).to_be_visible()
    await accessible(page)
    assert await until(lambda: site.smtp.to(address), timeout=30)
    (mail,) = site.smtp.to(address)
    assert mail["Subject"] == f"Thank you for signing up: Corner Shop {word}" and mail["Content-Language"] == "en"

    await page.goto(site.url + "/verzeichnis/eintrag/link?lang=en")
    await page.get_by_label("Your email address").fill(address)
    await page.get_by_role("button", name="Send me the link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Please check your inbox")
    await accessible(page)
    assert await until(lambda: len(site.smtp.to(address)) == 2, timeout=30)
    await page.goto(edit_link(mail))  # the first link no longer works
    await expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    await page.goto(edit_link(site.smtp.to(address)[1]))
    assert page.url == site.url + "/verzeichnis/eintrag"
    assert json.dumps(await page.context.cookies()).count("hallobot_eintrag") == 1
