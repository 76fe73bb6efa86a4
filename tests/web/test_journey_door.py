"""The office at the door of an event, in Chromium the size of a small phone: the list at the door
(/verwaltung/veranstaltungen/<id>/einlass, served by events) checks people in with one tap each, the
count follows, the buttons are big enough for a thumb, and axe-core finds nothing serious. Through the
front door: the phone opens the list, logs in on the way with an account of the events staff
(tests/web/console_login.py) and is back at the door's list."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.support.browser import PHONE, serious_violations
from tests.support.console import log_in_on_the_way
from tests.support.door import event_under_way
from tests.support.system import OPERATOR


async def test_the_office_checks_people_in_at_the_door_on_a_phone(site, browser):
    events_url = site.system.url("events")
    event_id = event_under_way(events_url, 3)
    context = await browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="de-DE")
    try:
        page = await context.new_page()
        await log_in_on_the_way(page, site, "events", f"/verwaltung/veranstaltungen/{event_id}/einlass")
        await expect(page.get_by_role("status")).to_have_text("0 von 3 da")
        buttons = page.get_by_role("button", name="Einchecken")
        await expect(buttons).to_have_count(3)
        box = await buttons.first.bounding_box()
        assert box and box["height"] >= 48 and box["width"] >= PHONE["width"] * 0.6, box
        assert await serious_violations(page) == []
        await buttons.first.tap()
        await expect(page.get_by_role("status")).to_have_text("1 von 3 da")
        await expect(page.get_by_role("button", name="Einchecken")).to_have_count(2)
        await page.get_by_role("button", name="zurücknehmen").tap()
        await expect(page.get_by_role("status")).to_have_text("0 von 3 da")
        assert await serious_violations(page) == []
    finally:
        await context.close()
    with httpx.Client(base_url=events_url, headers=OPERATOR, timeout=30) as api:
        attendance = api.get(f"/events/{event_id}/attendance").json()
    assert (attendance["confirmed"], attendance["attended"]) == (3, 0)
