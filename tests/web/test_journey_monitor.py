"""The office looks at HalloBot's impact, through the front door in Chromium: a known quarter of events
(tests/support/monitor_sample.py, January to March 2026, a period no other journey writes into) goes
onto the streams; /verwaltung/wirkung shows each figure as sent, with its definition, chart and CSV
link; after the projection was dropped and rebuilt from the streams it shows the same. axe-core too.
The office logs in first: an office account (made through the accounts API with the bootstrap token)
at /verwaltung/anmelden, where the monitor sends a browser without a session."""

from __future__ import annotations

import re
import time

import httpx
import nats
from playwright.async_api import expect

from tests.support.browser import serious_violations
from tests.support.console import log_in_browser, make_account
from tests.support.monitor_sample import PERIOD, SERIES_TITLE, SITE, Sample
from tests.support.system import OPERATOR, wait_until

QUERY = f"?von={PERIOD['von']}&bis={PERIOD['bis']}"


def _pending(site) -> int:
    return httpx.get(f"{site.url}/api/notifications/monitor", headers=OPERATOR, timeout=10).json()["pending"]


def office_account(site) -> dict:
    return make_account(site.url, OPERATOR, "office", api="/api/notifications")


async def _send(site, sample: Sample) -> None:
    nc = await nats.connect(site.system.nats.url)
    try:
        for subject, event in sample.events:
            await nc.jetstream().publish(subject, event.to_json(), headers=event.headers())
    finally:
        await nc.close()


async def _figures(page) -> dict[str, list[str]]:
    """Each figure's table as the page shows it: row name → its cells."""
    rows = {}
    for section in ("eintraege", "anmeldungen", "mails", "nachruecken"):
        for row in await page.locator(f"#{section} tbody tr").all():
            cells = [text.strip() for text in await row.locator("th, td").all_inner_texts()]
            rows[f"{section}:{cells[0]}"] = cells[1:]
    return rows


async def test_the_office_sees_the_figures_it_sent_and_again_after_a_rebuild(site, browser):
    sample = Sample()
    await _send(site, sample)
    assert wait_until(lambda: _pending(site) == 0, timeout=60)

    context = await browser.new_context(locale="de-DE")
    page = await context.new_page()
    try:
        await log_in_browser(page, site.url, office_account(site), "/verwaltung/wirkung")
        await page.goto(f"{site.url}/verwaltung/wirkung{QUERY}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Wirkung von HalloBot")
        await expect(page.locator("#eintraege .definition")).to_contain_text("vom Amt erfasst")
        await expect(page.locator("#eintraege svg[role=img]")).to_have_count(1)
        figures = await _figures(page)
        assert figures["eintraege:Jan. 2026"] == ["6", "2"]
        assert figures[f"anmeldungen:{SERIES_TITLE}"] == ["26", "6", "5", "5", "20", "16", "< 5", "20.0"]
        assert figures["anmeldungen:Handwerker-Frühstück"][0] == "< 5"
        assert figures["mails:Feb. 2026"] == ["6", "2"]
        await expect(page.locator("#wlan thead")).to_contain_text(SITE)
        assert await serious_violations(page) == []

        csv = page.locator("#mails a[download]")
        assert await csv.get_attribute("href") == f"/verwaltung/wirkung/mails.csv{QUERY.replace('?', '?', 1)}"

        rebuilt = httpx.post(f"{site.url}/api/notifications/monitor/rebuild", headers=OPERATOR, timeout=30)
        assert rebuilt.status_code == 202
        time.sleep(1)  # the projector starts the new generation's consumers
        assert wait_until(lambda: _pending(site) == 0, timeout=120)
        await page.reload()
        assert await _figures(page) == figures
    finally:
        await context.close()


async def test_the_audit_page_works_in_the_browser_and_with_a_keyboard(site, browser):
    context = await browser.new_context(locale="de-DE")
    page = await context.new_page()
    try:
        await log_in_browser(page, site.url, office_account(site), "/verwaltung/protokoll")
        await page.goto(f"{site.url}/verwaltung/protokoll{QUERY}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll: wer hat was geändert")
        await page.get_by_label("Bereich").select_option(label="Veranstaltungen")
        await page.get_by_role("button", name="Zeigen").press("Enter")
        await expect(page).to_have_url(re.compile(r"bereich=events"))
        assert await serious_violations(page) == []
    finally:
        await context.close()
