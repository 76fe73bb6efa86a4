"""Accounts and sessions against the real system through the front door: a login on notifications'
page reaches another service's console page; expired, forged and ended credentials are refused
everywhere; roles are enforced on the API; the actor of every change is on its event."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from datetime import timedelta

import httpx
import nats
import pytest

from shared.auth import hash_token
from shared.console.access import SESSION_COOKIE, sign_session
from shared.console.credentials import BUCKET, Credential
from shared.envelope import utcnow
from tests.console.conftest import SITE_SECRET, csrf_token, log_in, new_account
from tests.support.system import OPERATOR
from tests.wifi.conftest import site as hotspot_body

AREA_PAGES = ["/verwaltung/verzeichnis", "/verwaltung/veranstaltungen", "/verwaltung/wlan"]


class _Secret:
    def __init__(self, value: str) -> None:
        from pydantic import SecretStr

        self.site_secret = SecretStr(value)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_api_token(client: httpx.Client, label: str = "Skript") -> str:
    page = client.get("/verwaltung/zugangsschluessel")
    assert page.status_code == 200, page.text
    created = client.post("/verwaltung/zugangsschluessel", data={"csrf_token": csrf_token(page.text), "label": label})
    assert created.status_code == 200, created.text
    found = re.search(r'<code id="new-token">(hbo_[^<]+)</code>', created.text)
    assert found, "the new token is shown once"
    return found[1]


def test_a_login_on_the_console_page_reaches_the_console_pages_of_another_service(site, browser_like):
    account = new_account(site, "wifi")
    answer = log_in(browser_like, account["email"], account["password"], weiter="/verwaltung/wlan")
    assert answer.status_code == 303 and answer.headers["location"] == "/verwaltung/wlan"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/verwaltung" in cookie
    wlan = browser_like.get("/verwaltung/wlan")  # the wifi service, through the front door
    assert wlan.status_code == 200 and "<h1>WLAN-Standorte</h1>" in wlan.text
    refused = browser_like.get("/verwaltung/veranstaltungen")  # the events service: not this role's area
    assert refused.status_code == 403 and "gehört nicht zu Ihrer Rolle" in refused.text
    start = browser_like.get("/verwaltung")
    assert start.status_code == 200 and 'href="/verwaltung/wlan"' in start.text
    assert 'href="/verwaltung/veranstaltungen"' not in start.text


def test_without_a_session_every_console_page_sends_the_browser_to_the_login(site, browser_like):
    for path in ["/verwaltung", "/verwaltung/konten", *AREA_PAGES]:
        answer = browser_like.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/verwaltung/anmelden?weiter={path}"


def test_a_wrong_password_is_refused_alike_for_a_known_and_an_unknown_address(site, browser_like):
    account = new_account(site, "office")
    wrong = log_in(browser_like, account["email"], "falsches-Passwort-123")
    unknown = log_in(browser_like, "niemand@bottrop.example", "falsches-Passwort-123")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "E-Mail-Adresse oder Passwort stimmen nicht." in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        assert "falsches-Passwort" not in answer.text  # the password is never echoed


def test_a_forged_cookie_is_no_session_on_any_service(site, browser_like):
    account = new_account(site, "admin")
    log_in(browser_like, account["email"], account["password"])
    real = browser_like.cookies.get(SESSION_COOKIE, path="/verwaltung")
    secret = real.rsplit(".", 1)[0]
    forged = sign_session(_Secret("another-site-secret-0123456789abcdef"), secret)
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as stranger:
        for cookie in (forged, secret, real + "x"):
            stranger.cookies.set(SESSION_COOKIE, cookie, path="/verwaltung")
            for path in ["/verwaltung", *AREA_PAGES]:
                assert stranger.get(path).status_code == 303, (cookie, path)


async def _put_entry(site, digest: str, credential: Credential) -> None:
    nc = await nats.connect(site.system.nats.url)
    try:
        kv = await nc.jetstream().key_value(BUCKET)
        await kv.put(digest, credential.to_json())
    finally:
        await nc.close()


def test_an_expired_session_in_the_index_is_refused_by_every_service(site):
    account = new_account(site, "admin")
    secret = secrets.token_urlsafe(32)
    past = utcnow() - timedelta(minutes=1)
    asyncio.run(_put_entry(site, hash_token(secret), Credential(account["id"], "admin", "session", past)))
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as client:
        client.cookies.set(SESSION_COOKIE, sign_session(_Secret(SITE_SECRET), secret), path="/verwaltung")
        for path in ["/verwaltung", *AREA_PAGES]:
            assert client.get(path).status_code == 303, path
    # the same entry, still valid, is a session: the refusal above was the expiry
    future = utcnow() + timedelta(minutes=5)
    asyncio.run(_put_entry(site, hash_token(secret), Credential(account["id"], "admin", "session", future)))
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as client:
        client.cookies.set(SESSION_COOKIE, sign_session(_Secret(SITE_SECRET), secret), path="/verwaltung")
        assert client.get("/verwaltung/veranstaltungen").status_code == 200


def test_logout_ends_the_session_on_every_service(site, browser_like):
    account = new_account(site, "office")
    log_in(browser_like, account["email"], account["password"])
    cookie = browser_like.cookies.get(SESSION_COOKIE, path="/verwaltung")
    start = browser_like.get("/verwaltung")
    out = browser_like.post("/verwaltung/abmelden", data={"csrf_token": csrf_token(start.text)})
    assert out.status_code == 303 and out.headers["location"] == "/verwaltung/anmelden?hinweis=abgemeldet"
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as replay:
        replay.cookies.set(SESSION_COOKIE, cookie, path="/verwaltung")  # the old cookie, kept by someone
        for path in ["/verwaltung", *AREA_PAGES]:
            assert replay.get(path).status_code == 303, path


def test_the_api_never_takes_the_session_cookie_and_pages_never_take_a_bearer_token(site, browser_like):
    account = new_account(site, "admin")
    log_in(browser_like, account["email"], account["password"])
    cookie = browser_like.cookies.get(SESSION_COOKIE, path="/verwaltung")
    assert browser_like.get("/verwaltung/konten").status_code == 200  # the session is good for pages
    with_cookie = httpx.get(  # sent by hand: the browser would not send it outside /verwaltung
        f"{site.url}/api/notifications/accounts", headers={"cookie": f"{SESSION_COOKIE}={cookie}"}
    )
    assert with_cookie.status_code == 401
    token = new_api_token(browser_like)
    assert httpx.get(f"{site.url}/api/notifications/accounts", headers=bearer(token)).status_code == 200
    page = httpx.get(f"{site.url}/verwaltung/konten", headers=bearer(token) | {"accept": "text/html"})
    assert page.status_code == 303


def test_an_api_token_works_for_its_role_and_not_beyond_it(site, browser_like):
    account = new_account(site, "wifi")
    log_in(browser_like, account["email"], account["password"])
    token = new_api_token(browser_like)
    created = httpx.post(f"{site.url}/api/wifi/hotspots", json=hotspot_body("Rathaus"), headers=bearer(token))
    assert created.status_code == 201, created.text
    business = httpx.post(f"{site.url}/api/directory/businesses", json=_business(), headers=OPERATOR, timeout=30).json()
    publish = httpx.post(f"{site.url}/api/directory/businesses/{business['id']}/publish", headers=bearer(token))
    assert publish.status_code == 403  # wifi staff cannot publish a business
    assert httpx.get(f"{site.url}/api/notifications/accounts", headers=bearer(token)).status_code == 403


def test_events_staff_cannot_rotate_a_host_token(site, browser_like):
    hotspot = httpx.post(f"{site.url}/api/wifi/hotspots", json=hotspot_body("Bahnhof"), headers=OPERATOR, timeout=30)
    account = new_account(site, "events")
    log_in(browser_like, account["email"], account["password"])
    token = new_api_token(browser_like)
    rotate = httpx.post(f"{site.url}/api/wifi/hotspots/{hotspot.json()['id']}/token", headers=bearer(token))
    assert rotate.status_code == 403
    assert rotate.json()["message"]
    event = httpx.post(f"{site.url}/api/events/events", json=_event(), headers=bearer(token))
    assert event.status_code == 201, event.text


def test_a_revoked_token_and_the_token_of_a_deleted_account_are_unknown_401(site, browser_like):
    account = new_account(site, "office")
    log_in(browser_like, account["email"], account["password"])
    revoked, kept = new_api_token(browser_like, "alt"), new_api_token(browser_like, "neu")
    url = f"{site.url}/api/wifi/hotspots"
    assert httpx.post(url, json=hotspot_body("Vorher"), headers=bearer(revoked)).status_code == 201
    tokens = browser_like.get("/verwaltung/zugangsschluessel")
    action = re.search(r'action="(/verwaltung/zugangsschluessel/[^"]+/widerrufen)"', tokens.text)[1]
    assert browser_like.post(action, data={"csrf_token": csrf_token(tokens.text)}).status_code == 303
    assert httpx.post(url, json=hotspot_body("Alt"), headers=bearer(revoked)).status_code == 401
    assert httpx.post(url, json=hotspot_body("Neu"), headers=bearer(kept)).status_code == 201

    deleted = httpx.delete(f"{site.url}/api/notifications/accounts/{account['id']}", headers=OPERATOR, timeout=30)
    assert deleted.status_code == 204
    assert httpx.post(url, json=hotspot_body("Weg"), headers=bearer(kept)).status_code == 401
    assert httpx.get(f"{site.url}/api/directory/businesses?status=all", headers=bearer(kept)).status_code == 401
    assert browser_like.get("/verwaltung").status_code == 303  # its session ended too


def test_the_bootstrap_token_keeps_working_and_is_the_actor_bootstrap(site):
    created = httpx.post(f"{site.url}/api/wifi/hotspots", json=hotspot_body("Markt"), headers=OPERATOR, timeout=30)
    assert created.status_code == 201
    event = asyncio.run(_last_event(site, "WIFI", f"hallobot.wifi.hotspot.registered.{created.json()['id']}"))
    assert event["actor"] == "bootstrap"


def test_the_actor_on_an_event_is_the_account_id_and_never_an_email(site, browser_like):
    account = new_account(site, "wifi")
    log_in(browser_like, account["email"], account["password"])
    token = new_api_token(browser_like)
    created = httpx.post(f"{site.url}/api/wifi/hotspots", json=hotspot_body("Ost"), headers=bearer(token))
    event = asyncio.run(_last_event(site, "WIFI", f"hallobot.wifi.hotspot.registered.{created.json()['id']}"))
    assert event["actor"] == account["id"]
    made = asyncio.run(_last_event(site, "NOTIFICATIONS", f"hallobot.notifications.account.created.{account['id']}"))
    assert made["actor"] == "bootstrap" and made["data"] == {"account_id": account["id"], "role": "wifi"}
    assert account["email"] not in json.dumps(made)


async def _last_event(site, stream: str, subject: str) -> dict:
    nc = await nats.connect(site.system.nats.url)
    try:
        js = nc.jetstream()
        for _ in range(100):  # the relay publishes right after the commit
            try:
                return json.loads((await js.get_last_msg(stream, subject)).data)
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.1)
        pytest.fail(f"no event on {subject}")
    finally:
        await nc.close()


def _business() -> dict:
    from tests.directory.conftest import profile

    return profile(name="Konsole-Test Café")


def _event() -> dict:
    from tests.events.conftest import event_body

    return event_body()
