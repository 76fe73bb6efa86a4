"""The website as people reach it: the whole system (tests/support/system.py) behind the real Caddy
front door (deploy/Caddyfile), and a headless Chromium. Journeys share one site per test run (start-up
costs tens of seconds on two cores): each creates its own business, event or address. The list at
the door of an event closes when it ends, and events' job looks every second (a journey sees the
attendance summary at once)."""

from __future__ import annotations

import pytest

from hallobot.ports import free_port
from tests.support.browser import PHONE, launch
from tests.support.frontdoor import FrontDoor
from tests.support.system import System

SITE_ENV = {"EVENTS_ATTENDANCE_CLOSES_AFTER_H": "0", "EVENTS_JOB_INTERVAL_S": "1"}


class Site:
    def __init__(self, system: System, front_door: FrontDoor) -> None:
        self.system, self.front_door = system, front_door
        self.url = front_door.url
        self.smtp = system.smtp


@pytest.fixture(scope="session")
def site(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("site")
    port = free_port()
    env = {"HALLOBOT_SITE_URL": f"http://127.0.0.1:{port}", **SITE_ENV}
    system = System(root, env=env)
    front_door = FrontDoor({name: system.url(name) for name in system.services}, system.log_dir, port=port)
    request.config.add_cleanup(system.stop)  # before start: a start that times out leaves nothing running
    request.config.add_cleanup(front_door.stop)
    system.start()
    front_door.start()
    return Site(system, front_door)


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser):
    """A fresh browser context (no cookies) with a desktop window."""
    context = await browser.new_context(locale="de-DE")
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def phone(browser):
    """A fresh context the size of a small phone, with touch."""
    context = await browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="de-DE")
    yield await context.new_page()
    await context.close()
