"""/verwaltung/zustellungen in Debian's headless Chromium against the whole system: axe-core finds
nothing serious in German or English, and with JavaScript off the button replays a dead letter,
which is then mailed exactly once. The browser is an office account's, logged in (its session cookie)."""

from __future__ import annotations

import pytest

from shared.console.access import SESSION_COOKIE
from tests.notifications.test_dead_letters_replay import Refusal, letter_of, outcome, self_register, sent_once
from tests.support.browser import launch, serious_violations
from tests.support.console import logged_in_cookie
from tests.support.system import OPERATOR, System, shared_system, wait_until


@pytest.fixture(scope="module")
def system(tmp_path_factory, pytestconfig) -> System:
    return shared_system(tmp_path_factory, pytestconfig)


async def test_the_page_is_accessible_and_its_button_replays_a_dead_letter_without_javascript(system):
    from playwright.async_api import async_playwright

    refusal = Refusal(system)
    refusal.on()
    try:
        letter = letter_of(system, self_register(system))
    finally:
        refusal.off()
    office = logged_in_cookie(system.url("notifications"), OPERATOR, "office")
    session = [{"name": SESSION_COOKIE, "value": office["cookie"], "url": system.url("notifications")}]
    url = system.url("notifications") + "/verwaltung/zustellungen"
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        try:
            for language in ("de", "en"):
                context = await chromium.new_context(locale="de-DE")
                await context.add_cookies(session)
                page = await context.new_page()
                await page.goto(f"{url}?lang={language}")
                assert page.url.startswith(url), page.url  # the session holds: not sent to the login
                assert await serious_violations(page) == [], language
                await context.close()

            context = await chromium.new_context(locale="de-DE", java_script_enabled=False)
            await context.add_cookies(session)
            page = await context.new_page()
            await page.goto(url)
            form = page.locator(f'form[action="/verwaltung/zustellungen/nachrichten/{letter["seq"]}/erneut"]')
            await form.get_by_role("button", name="Erneut verarbeiten").click()
            await page.wait_for_url("**angestossen=nachricht**")
            assert await page.get_by_role("status").count() == 1
            await context.close()
        finally:
            await chromium.close()
    outcome(system, letter["seq"], "handled")
    assert wait_until(lambda: sent_once(system, letter["event_id"]), timeout=60)
