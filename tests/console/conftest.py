"""The console as the office reaches it: the whole system (tests/support/system.py) behind the real
Caddy front door, like tests/web's `site` (the same `Site`), with a known HALLOBOT_SITE_SECRET (a
test signs cookies with it) and short login delays (the lockout is reached in seconds)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from hallobot.ports import free_port
from tests.support.frontdoor import FrontDoor
from tests.support.system import OPERATOR, System
from tests.web.conftest import Site, browser, page  # noqa: F401  (the fixtures, shared with tests/web)

SITE_SECRET = "console-tests-site-secret-0123456789abcdef"
PASSWORD = "richtig-langes-Passwort-1"
LOGIN_DELAY_MAX_S = 0.5
CONSOLE_ENV = {
    "HALLOBOT_SITE_SECRET": SITE_SECRET,
    "NOTIFICATIONS_LOGIN_DELAY_BASE_S": "0.2",
    "NOTIFICATIONS_LOGIN_DELAY_MAX_S": str(LOGIN_DELAY_MAX_S),
    "NOTIFICATIONS_LOGIN_MAX_FAILURES": "5",
    "NOTIFICATIONS_LOGIN_LOCKOUT_S": "600",
    "NOTIFICATIONS_LOGIN_LIMIT": "10000",  # all the tests log in from one address
}


@pytest.fixture(scope="session")
def site(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("console")
    port = free_port()
    system = System(root, env={"HALLOBOT_SITE_URL": f"http://127.0.0.1:{port}", **CONSOLE_ENV})
    front_door = FrontDoor({name: system.url(name) for name in system.services}, system.log_dir, port=port)
    request.config.add_cleanup(system.stop)
    request.config.add_cleanup(front_door.stop)
    system.start()
    front_door.start()
    return Site(system, front_door)


def new_account(site, role: str, password: str = PASSWORD) -> dict:
    """An account made by the bootstrap token through the API; its email is unique per call."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@bottrop.example"
    body = {"name": f"Frau {role.title()}", "email": email, "role": role, "password": password}
    response = httpx.post(f"{site.url}/api/notifications/accounts", json=body, headers=OPERATOR, timeout=30)
    assert response.status_code == 201, response.text
    return response.json() | {"password": password}


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form"
    return found[1]


def log_in(client: httpx.Client, email: str, password: str, weiter: str = "/verwaltung") -> httpx.Response:
    """Through the login page, as a browser does: its CSRF cookie and field, then the form."""
    form = client.get("/verwaltung/anmelden")
    assert form.status_code == 200
    data = {"csrf_token": csrf_token(form.text), "email": email, "password": password, "weiter": weiter}
    return client.post("/verwaltung/anmelden", data=data, headers={"accept": "text/html"})


@pytest.fixture
def browser_like(site):
    """A client through the front door that keeps cookies and does not follow redirects."""
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as client:
        yield client
