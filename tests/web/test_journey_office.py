"""The office's day across the console, in Chromium through the front door (issue #16): an office
account (made through the accounts API with the bootstrap token) logs in at /verwaltung/anmelden;
it publishes a self-registered profile from the review queue, and the audit page /verwaltung/protokoll
names the account as the one who did (the event on the DIRECTORY stream carries the account id as
`actor`); at the door of an event under way it checks five of six participants in, and once the
list is closed (the event ended: the site's EVENTS_ATTENDANCE_CLOSES_AFTER_H is 0, its job runs every
second) /verwaltung/wirkung shows the attendance: 6 places, 5 came, the one no-show as "< 5" (a
count that could point at a person). axe-core finds nothing serious on every page visited."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import httpx
import nats
import pytest
from playwright.async_api import expect

from shared.web.pages import BERLIN
from tests.support import door
from tests.support.browser import serious_violations
from tests.support.console import log_in_browser, make_account
from tests.support.system import OPERATOR

PEOPLE, CAME = 6, 5


async def accessible(page) -> None:
    assert await serious_violations(page) == [], page.url


async def shown_after_reloads(page, url: str, locator, text: str, attempts: int = 60) -> None:
    """What notifications learns from the streams shows up within seconds: reload until it does."""
    for _ in range(attempts):
        await page.goto(url)
        if text in " ".join(await locator(page).all_inner_texts()):
            return
        await asyncio.sleep(1)
    await expect(locator(page)).to_contain_text(text)  # fails with the page's text


async def last_event(site, stream: str, subject: str) -> dict:
    nc = await nats.connect(site.system.nats.url)
    try:
        for _ in range(100):  # the relay publishes right after the commit
            try:
                return json.loads((await nc.jetstream().get_last_msg(stream, subject)).data)
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.2)
        pytest.fail(f"no event on {subject}")
    finally:
        await nc.close()


def self_registered(site, word: str) -> tuple[str, str]:
    name = f"Fahrradladen Einblick {word}"
    body = {"name": name, "category": "einzelhandel", "description": "Räder und Reparatur.",
            "owner_email": f"rad-{word}@example.org"}  # fmt: skip
    created = httpx.post(f"{site.url}/api/directory/businesses", json=body, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["id"], name


def event_under_way(site, word: str) -> tuple[str, str]:
    title = f"Gründerabend Einlass {word}"
    fields = {"title": title, "series": f"gruenderabend-{word}", "venue": "Kulturzentrum, Blumenstraße 12"}
    return door.event_under_way(f"{site.url}/api/events", PEOPLE, **fields), title


def end_now(site, event_id: str) -> None:
    """The event is over: its end is now, so the list at the door closes (after 0 hours on this site)."""
    now = datetime.now(UTC)
    answer = httpx.patch(f"{site.url}/api/events/events/{event_id}", json={"ends_at": now.isoformat()},
                         headers=OPERATOR, timeout=30)  # fmt: skip
    assert answer.status_code == 200, answer.text


async def test_an_office_account_publishes_a_sign_up_is_named_in_the_audit_and_counts_attendance(site, page):
    word = uuid.uuid4().hex[:6]
    account = make_account(site.url, OPERATOR, "office", api="/api/notifications")
    business_id, business = self_registered(site, word)
    event_id, title = event_under_way(site, word)

    # the login, where a console page sends a browser without a session
    await page.goto(f"{site.url}/verwaltung/verzeichnis/{business_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("In der Verwaltung anmelden")
    await accessible(page)
    await log_in_browser(page, site.url, account, f"/verwaltung/verzeichnis/{business_id}")

    # the review queue: the profile is published by the account
    await expect(page.get_by_role("heading", level=1)).to_have_text(business)
    await accessible(page)
    await page.get_by_role("button", name="Veröffentlichen").click()
    await expect(page.get_by_role("status")).to_contain_text("Der Eintrag ist veröffentlicht.")
    published = await last_event(site, "DIRECTORY", f"hallobot.directory.business.published.{business_id}")
    assert published["actor"] == account["id"]

    # the audit page names the account, not an id
    audit = f"{site.url}/verwaltung/protokoll?wer={account['id']}"
    await shown_after_reloads(page, audit, lambda p: p.locator("table.protokoll tbody"), business)
    row = page.locator("table.protokoll tbody tr", has_text=business)
    await expect(row).to_have_count(1)
    await expect(row.locator("td").nth(1)).to_have_text(account["name"])
    await expect(row.locator("td").nth(3)).to_have_text(f"Neu im Verzeichnis: {business}.")
    await expect(page.get_by_label("Wer")).to_have_value(account["id"])  # the filter chose the account by name
    await expect(page.locator("#wer option:checked")).to_have_text(account["name"])
    await accessible(page)

    # the door: five of six come
    await page.goto(f"{site.url}/verwaltung/veranstaltungen/{event_id}/einlass")
    await expect(page.get_by_role("status")).to_have_text(f"0 von {PEOPLE} da")
    await accessible(page)
    for came in range(1, CAME + 1):
        await page.get_by_role("button", name="Einchecken").first.click()
        await expect(page.get_by_role("status")).to_have_text(f"{came} von {PEOPLE} da")
    await accessible(page)
    end_now(site, event_id)
    await page.reload()
    await expect(page.get_by_text("Die Liste ist abgeschlossen.")).to_be_visible()

    # the impact monitor: the series' attendance once the list was closed
    month = datetime.now(BERLIN).strftime("%Y-%m")
    monitor = f"{site.url}/verwaltung/wirkung?von={month}&bis={month}"
    series = lambda p: p.locator("#anmeldungen tbody tr", has_text=title)  # noqa: E731
    came = lambda p: series(p).locator("td").nth(5)  # noqa: E731  ("erschienen": 0 until the list closes)
    await shown_after_reloads(page, monitor, came, str(CAME))
    cells = [text.strip() for text in await series(page).locator("td").all_inner_texts()]
    # Anmeldungen, Warteliste, abgesagt, nachgerückt, Plätze, erschienen, nicht erschienen, Quote
    assert cells == [str(PEOPLE), "0", "0", "0", str(PEOPLE), str(CAME), "< 5", "16.7"], cells
    await accessible(page)
