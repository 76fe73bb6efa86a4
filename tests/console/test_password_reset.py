"""Password reset by mail, through the front door: the link comes by mail (the stored mail never
holds it), works once, ends every session of the account; the page answers alike for an unknown
address."""

from __future__ import annotations

import re
import time

import httpx

from shared.console.access import SESSION_COOKIE
from tests.console.conftest import LOGIN_DELAY_MAX_S, csrf_token, log_in, new_account


def reset_link(site, address: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in site.smtp.to(address):
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                    if found := re.search(r"(http://\S+/verwaltung/passwort-neu\?token=\S+)", text):
                        return found[1]
        time.sleep(0.2)
    raise AssertionError(f"no reset mail to {address}")


def ask_for_link(client: httpx.Client, address: str) -> httpx.Response:
    form = client.get("/verwaltung/passwort-vergessen")
    return client.post("/verwaltung/passwort-vergessen", data={"csrf_token": csrf_token(form.text), "email": address})


def test_a_reset_link_by_mail_sets_a_new_password_once_and_ends_the_old_sessions(site, browser_like):
    account = new_account(site, "events")
    log_in(browser_like, account["email"], account["password"])
    old_session = browser_like.cookies.get(SESSION_COOKIE, path="/verwaltung")
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as forgetful:
        asked = ask_for_link(forgetful, account["email"])
        assert asked.status_code == 303 and asked.headers["location"] == "/verwaltung/passwort-vergessen?gesendet=1"
        link = reset_link(site, account["email"])
        token = link.split("token=", 1)[1]
        stored = site.system.query("notifications", "SELECT body FROM deliveries WHERE template = 'password_reset'")
        assert stored and not any(token in body for (body,) in stored)  # the stored mail holds a placeholder
        path = link.removeprefix(site.url)
        form = forgetful.get(path)
        assert form.status_code == 200
        data = {"csrf_token": csrf_token(form.text), "token": token, "password": "ganz-neues-Passwort", "repeat": "x"}
        assert forgetful.post("/verwaltung/passwort-neu", data=data).status_code == 422  # the two differ
        data["repeat"] = data["password"]
        done = forgetful.post("/verwaltung/passwort-neu", data=data)
        assert done.status_code == 303 and done.headers["location"] == "/verwaltung/anmelden?hinweis=passwort"
        assert forgetful.get(path).status_code == 404  # once only
        assert log_in(forgetful, account["email"], account["password"]).status_code == 401
        time.sleep(LOGIN_DELAY_MAX_S + 0.1)  # after a failure the next try must wait (else 429)
        assert log_in(forgetful, account["email"], "ganz-neues-Passwort").status_code == 303
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as kept:
        kept.cookies.set(SESSION_COOKIE, old_session, path="/verwaltung")
        assert kept.get("/verwaltung").status_code == 303  # the session from before the reset ended


def test_an_unknown_address_gets_the_same_answer_and_no_mail(site, browser_like):
    asked = ask_for_link(browser_like, "niemand-hier@bottrop.example")
    assert asked.status_code == 303 and asked.headers["location"] == "/verwaltung/passwort-vergessen?gesendet=1"
    assert site.system.query(
        "notifications", "SELECT count(*) FROM deliveries WHERE recipient = 'niemand-hier@bottrop.example'"
    ) == [(0,)]
    assert site.smtp.to("niemand-hier@bottrop.example") == []
