"""A citizen's journeys with the events pages, in Chromium through the front door (docs/journeys.md, 3):
registering for a full event lands on the waitlist, another registrant's cancellation (through the
cancel page behind their mail's link) promotes them and they get the mail; a Sprechtag slot is booked
with a topic and the mail's calendar file is that slot's; the same registration in English; axe-core
on the calendar, the event page, the done page and the cancel page."""

from __future__ import annotations

import asyncio
import re
import uuid
from email.message import Message

import httpx
from playwright.async_api import expect

from tests.support.browser import serious_violations
from tests.support.system import OPERATOR


def create_event(site, **fields) -> dict:
    body = {
        "title": f"Handwerker-Frühstück {uuid.uuid4().hex[:6]}",
        "series": "Handwerker-Frühstück",
        "description": "Frühstück und Austausch für Handwerksbetriebe.",
        "starts_at": "2031-06-12T08:00:00",
        "ends_at": "2031-06-12T10:00:00",
        "venue": "Bäckerei Kamp, Hochstraße 1",
        "capacity": 1,
    } | fields
    api = site.url + "/api/events"
    created = httpx.post(f"{api}/events", json=body, headers=OPERATOR, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()


def publish(site, event: dict) -> None:
    answer = httpx.post(f"{site.url}/api/events/events/{event['id']}/publish", headers=OPERATOR, timeout=10)
    assert answer.status_code == 200, answer.text


async def mail_to(site, address: str, subject_starts: str) -> Message:
    for _ in range(300):
        for message in site.smtp.to(address):
            if str(message["Subject"]).startswith(subject_starts):
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail {subject_starts!r} to {address}: {[m['Subject'] for m in site.smtp.to(address)]}")


def text_of(message: Message) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def register(page, name: str, email: str, button: str) -> None:
    await page.get_by_label("Ihr Name").fill(name)
    await page.get_by_label("Ihre E-Mail-Adresse").fill(email)
    await page.get_by_label("Ich bin einverstanden").check()
    await page.get_by_role("button", name=button).click()


async def test_a_citizen_on_the_waitlist_gets_the_place_another_registrant_frees_through_the_cancel_page(site, page):
    event = create_event(site)
    publish(site, event)
    anna, bernd = f"anna-{uuid.uuid4().hex[:8]}@example.org", f"bernd-{uuid.uuid4().hex[:8]}@example.org"
    first = httpx.post(
        f"{site.url}/api/events/events/{event['id']}/registrations",
        json={"name": "Anna", "email": anna, "consent": True},
        timeout=10,
    )
    assert first.json()["status"] == "confirmed"

    await page.goto(site.url + "/veranstaltungen?monat=2031-06")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Veranstaltungen im Juni 2031")
    assert await serious_violations(page) == []
    await page.get_by_role("link", name=event["title"]).click()
    await expect(
        page.get_by_text("Wenn Sie sich jetzt anmelden, kommen Sie auf die Warteliste (Platz 1)")
    ).to_be_visible()
    assert await serious_violations(page) == []
    await register(page, "Bernd Beispiel", bernd, "Auf die Warteliste setzen")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sie stehen auf der Warteliste, Platz 1")
    assert await serious_violations(page) == []
    await mail_to(site, bernd, "Warteliste (Platz 1)")

    link = re.search(r"https?://\S+/veranstaltungen/abmelden\?\S+", text_of(await mail_to(site, anna, "Anmeldung")))
    assert link and link.group().startswith(site.url)
    await page.goto(link.group())
    await expect(page.get_by_text("Sie sind angemeldet.")).to_be_visible()
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Ja, Anmeldung stornieren").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind abgemeldet")
    assert "token" not in page.url

    promoted = await mail_to(site, bernd, "Sie haben einen Platz")
    assert event["title"] in text_of(promoted)


async def test_a_citizen_books_a_sprechtag_slot_and_the_mail_brings_that_slots_calendar_file(site, page):
    day = create_event(
        site,
        kind="consultation",
        title=f"Digitalisierungssprechtag {uuid.uuid4().hex[:6]}",
        series="Sprechtag",
        capacity=None,
        starts_at="2031-07-03T09:00:00",
        ends_at="2031-07-03T12:00:00",
        venue="Rathaus Bottrop, Raum 101",
    )
    slots = httpx.post(
        f"{site.url}/api/events/events/{day['id']}/slots",
        headers=OPERATOR,
        json={"starts_at": "2031-07-03T10:00:00", "count": 3, "expert": "Frau Kamp", "topic": "Digitalisierung"},
        timeout=10,
    )
    assert slots.status_code == 201, slots.text
    publish(site, day)
    address = f"cem-{uuid.uuid4().hex[:8]}@example.org"

    await page.goto(f"{site.url}/veranstaltungen?reihe=Sprechtag")
    await page.get_by_role("link", name=day["title"]).click()
    await page.get_by_label("10:30 Uhr – 11:00 Uhr").check()
    await page.get_by_label("Förderprogramme").check()
    assert await serious_violations(page) == []
    await register(page, "Cem Yılmaz", address, "Termin verbindlich buchen")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind angemeldet")
    await expect(page.get_by_text("10:30 Uhr – 11:00 Uhr")).to_be_visible()

    text = text_of(await mail_to(site, address, "Anmeldung bestätigt"))
    assert "Ihr Termin: Do, 03.07.2031 10:30 Uhr bis Do, 03.07.2031 11:00 Uhr" in text
    assert "Thema: Förderprogramme" in text
    ics_link = re.search(r"https?://\S+\.ics", text)
    assert ics_link and "/termine/" in ics_link.group()
    ics = httpx.get(ics_link.group(), timeout=10)
    assert "DTSTART;TZID=Europe/Berlin:20310703T103000" in ics.text
    assert "DTEND;TZID=Europe/Berlin:20310703T110000" in ics.text


async def test_the_same_registration_in_english_gets_english_pages_and_an_english_mail(site, page):
    event = create_event(site, capacity=5)
    publish(site, event)
    address = f"emma-{uuid.uuid4().hex[:8]}@example.org"
    await page.goto(f"{site.url}/veranstaltungen/{event['id']}?lang=en")
    await page.get_by_label("Your name").fill("Emma Example")
    await page.get_by_label("Your email address").fill(address)
    await page.get_by_label("I agree").check()
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Register").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    assert await serious_violations(page) == []
    text = text_of(await mail_to(site, address, "Registration confirmed"))
    assert text.startswith("Hello,") and "Can't make it?" in text
