"""A console session for tests of one service's console pages without the notifications service that
owns accounts: the test does what notifications does at a login, one key in the credential index
(NATS KV HALLOBOT_CREDENTIALS) for a fresh session secret, and signs that secret for the cookie under
the service's site secret (HALLOBOT_SITE_SECRET, else the development key in its data dir). The page
then checks it exactly as it checks a real login's (shared/console/access.py)."""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import nats
from pydantic import SecretStr

from shared.auth import hash_token
from shared.config import SITE_SECRET_FILE
from shared.console.access import SESSION_COOKIE, sign_session
from shared.console.credentials import BUCKET, Credential
from shared.envelope import utcnow
from tests.support.services import ServiceProcess
from tests.support.system import OPERATOR


def site_secret_of(service: ServiceProcess) -> str:
    if secret := service.env.get("HALLOBOT_SITE_SECRET", "").strip():
        return secret
    return (Path(service.env["HALLOBOT_DATA_DIR"]) / SITE_SECRET_FILE).read_text().strip()


async def _put(nats_url: str, digest: str, credential: Credential) -> None:
    client = await nats.connect(nats_url)
    try:
        bucket = await client.jetstream().key_value(BUCKET)
        await bucket.put(digest, credential.to_json())
    finally:
        await client.close()


def console_session(service: ServiceProcess, role: str = "admin", account: str | None = None) -> str:
    """The signed cookie value of a new session of `account` (a fresh id) with `role`, for an hour."""
    secret = secrets.token_urlsafe(32)
    credential = Credential(account or str(uuid.uuid4()), role, "session", utcnow() + timedelta(hours=1))
    asyncio.run(_put(service.env["NATS_URL"], hash_token(secret), credential))
    settings = SimpleNamespace(site_secret=SecretStr(site_secret_of(service)))
    return sign_session(settings, secret)


def sign_in(client: httpx.Client, service: ServiceProcess, role: str = "admin") -> httpx.Client:
    """Give a test's client (a browser of the office) a console session on `service`."""
    client.cookies.set(SESSION_COOKIE, console_session(service, role))
    return client


def make_account(base_url: str, bootstrap: dict[str, str], role: str = "office", *, api: str = "") -> dict:
    """An account of `role` made with the bootstrap token where notifications runs (its own URL, or the
    front door with api="/api/notifications"); its email is unique per call. With its password."""
    password = f"Passwort-{secrets.token_hex(8)}"
    body = {
        "name": f"Frau {role.title()} {secrets.token_hex(2)}",
        "email": f"{role}-{uuid.uuid4().hex[:8]}@bottrop.example",
        "role": role,
        "password": password,
    }
    made = httpx.post(f"{base_url}{api}/accounts", json=body, headers=bootstrap, timeout=30)
    assert made.status_code == 201, made.text
    return made.json() | {"password": password}


def logged_in_cookie(base_url: str, bootstrap: dict[str, str], role: str = "office", *, api: str = "") -> dict:
    """A real login of a new account (`make_account`) through the login form as a browser sends it.
    Returns the account with its session cookie. Unlike `console_session`, the session is in
    notifications' tables, so its reconcile job (every few minutes) keeps it in the credential index:
    for a module that uses one session for minutes."""
    account = make_account(base_url, bootstrap, role, api=api)
    with httpx.Client(base_url=base_url, timeout=30, headers={"accept": "text/html"}) as client:
        form = client.get("/verwaltung/anmelden")
        assert form.status_code == 200, form.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, "the login page has no form"
        data = {"csrf_token": token[1], "email": account["email"], "password": account["password"]}
        answer = client.post("/verwaltung/anmelden", data=data | {"weiter": "/verwaltung"})
        assert answer.status_code == 303, answer.text
        cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return account | {"cookie": cookie}


async def log_in_browser(page, site_url: str, account: dict, path: str = "/verwaltung") -> None:
    """In a browser (Playwright page): open a console page, get sent to the login, log in, land there."""
    await page.goto(f"{site_url}{path}")
    assert page.url == f"{site_url}/verwaltung/anmelden?weiter={path}", page.url
    await page.get_by_label("E-Mail-Adresse").fill(account["email"])
    await page.get_by_label("Passwort", exact=True).fill(account["password"])
    async with page.expect_navigation():
        await page.get_by_role("button", name="Anmelden").click()
    assert page.url == f"{site_url}{path}", page.url


async def log_in_on_the_way(page, site, role: str, path: str) -> dict:
    """Through the front door (`site`): open the console page `path` and log in on the way with a new
    account of `role`; the account."""
    account = make_account(site.url, OPERATOR, role, api="/api/notifications")
    await log_in_browser(page, site.url, account, path)
    return account
