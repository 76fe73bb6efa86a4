"""An events staff member plans an event in the console, in Chromium through the front door (issue
#16): the list of events leads to "Neue Veranstaltung"; the form, sent with the end before the start,
comes back with the input kept and the error at the end's field; corrected, it makes a draft, which is
published on its console page; the event then is in the public calendar (/veranstaltungen), and the
published event on the EVENTS stream names the account as `actor`. axe-core finds nothing serious on
the form (also with its error) and the event's console page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from playwright.async_api import expect

from shared.web.pages import BERLIN
from tests.support.browser import serious_violations
from tests.support.console import log_in_on_the_way
from tests.web.test_journey_office import last_event


async def accessible(page) -> None:
    assert await serious_violations(page) == [], page.url


@pytest.mark.slow
async def test_an_events_staff_member_creates_an_event_with_the_form_and_it_is_in_the_calendar(site, page):
    title = f"Gründerfrühstück am Markt {uuid.uuid4().hex[:6]}"
    day = (datetime.now(BERLIN) + timedelta(days=10)).date()
    account = await log_in_on_the_way(page, site, "events", "/verwaltung/veranstaltungen")

    await page.get_by_role("link", name="Neue Veranstaltung").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Neue Veranstaltung")
    await accessible(page)
    await page.get_by_label("Art", exact=True).select_option("event")
    await page.get_by_label("Titel").fill(title)
    await page.get_by_label("Beschreibung").fill("Kaffee, Brötchen und kurze Vorträge für Gründerinnen und Gründer.")
    await page.get_by_label("Beginn", exact=True).fill(f"{day.isoformat()}T08:30")
    await page.get_by_label("Ende", exact=True).fill(f"{day.isoformat()}T07:30")  # a slip: before the start
    await page.get_by_label("Ort (freiwillig)").fill("Café am Altmarkt, Bottrop")
    await page.get_by_label("Anzahl der Plätze").fill("20")
    await page.get_by_role("button", name="Veranstaltung anlegen").click()

    # back with everything kept and the error at the end's field
    await expect(page.get_by_role("alert")).to_contain_text("Das Ende muss nach dem Beginn liegen.")
    await expect(page.get_by_label("Titel")).to_have_value(title)
    await expect(page.get_by_label("Ende", exact=True)).to_have_attribute("aria-invalid", "true")
    await accessible(page)
    await page.get_by_label("Ende", exact=True).fill(f"{day.isoformat()}T10:00")
    await page.get_by_role("button", name="Veranstaltung anlegen").click()

    # the draft's console page: publish it
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.locator("dl.facts")).to_contain_text("Entwurf")
    await accessible(page)
    event_id = page.url.rsplit("/", 1)[1]
    await page.get_by_role("button", name="Veröffentlichen").click()
    await expect(page.locator("dl.facts")).to_contain_text("Veröffentlicht")
    published = await last_event(site, "EVENTS", f"hallobot.events.event.published.{event_id}")
    assert published["actor"] == account["id"]

    # the public calendar of the event's month shows it, open for registration
    await page.goto(f"{site.url}/veranstaltungen?monat={day.strftime('%Y-%m')}")
    await expect(page.get_by_role("link", name=title)).to_be_visible()
    await page.get_by_role("link", name=title).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.get_by_text("Café am Altmarkt, Bottrop")).to_be_visible()
