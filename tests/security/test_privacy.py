"""Data protection across the services (issue 17, part 5; docs/privacy.md), against the whole system
as processes (tests/support/system.py): an office account asks on the console page
/verwaltung/datenschutz for access to and then the erasure of everything about one mail address that
signed up a business, registered for an event and subscribed. Every service answers on PRIVATE; the
report lists each answer; afterwards the address is in no text column of any table of any service's
SQLite database, and PRIVATE keeps messages no longer than its stated retention. A pending
profile's new name is heard on no public subject; the pages pass axe-core in German and English."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import uuid
from datetime import timedelta

import httpx
import pytest

from shared.console.access import SESSION_COOKIE
from shared.streams import STREAMS_BY_NAME
from tests.support.console import console_session, logged_in_cookie
from tests.support.system import OPERATOR, System, shared_system, wait_until

PAGE = "/verwaltung/datenschutz"
PRIVATE_RETENTION = timedelta(days=14)  # docs/architecture.md, docs/privacy.md


@pytest.fixture(scope="module")
def system(tmp_path_factory, pytestconfig) -> System:
    return shared_system(tmp_path_factory, pytestconfig)


@pytest.fixture(scope="module")
def office(system) -> dict:
    return logged_in_cookie(system.url("notifications"), OPERATOR, "office")


@pytest.fixture(scope="module")
def person(system) -> dict:
    """One address, in mixed case, with a business profile, an event registration and a subscription,
    each mailed (so delivery rows, private notices and outbox rows exist in every service)."""
    marker = uuid.uuid4().hex[:10]
    email = f"Erika.Muster.{marker}@Example.org"
    with system.client("directory") as directory:
        profile = directory.post(
            "/businesses",
            json={"name": f"Laden {marker}", "category": "handwerk", "owner_email": email},
        )
        assert profile.status_code == 201, profile.text
    with system.client("events") as events:
        body = {
            "title": f"Frühstück {marker}",
            "description": "Austausch.",
            "starts_at": "2040-05-04T09:00:00",
            "ends_at": "2040-05-04T11:00:00",
            "venue": "Rathaus",
            "capacity": 10,
            "waitlist": False,
        }
        event_id = events.post("/events", json=body, headers=OPERATOR).json()["id"]
        assert events.post(f"/events/{event_id}/publish", headers=OPERATOR).status_code == 200
        registration = events.post(
            f"/events/{event_id}/registrations",
            json={"name": f"Erika Muster {marker}", "email": email, "consent": True},
        )
        assert registration.status_code == 201, registration.text
    with system.client("notifications") as notifications:
        subscribed = notifications.post("/subscriptions", json={"email": email, "topics": ["events.event.published"]})
        assert subscribed.status_code == 202, subscribed.text
    # the registrant's confirmation, the subscription's confirmation (an API sign-up mails the office only)
    assert wait_until(lambda: len(mails_to(system, email)) >= 2, 60), [m["Subject"] for m in mails_to(system, email)]
    return {
        "email": email,
        "business_id": profile.json()["id"],
        "registration_id": registration.json()["id"],
        "event_id": event_id,
    }


def mails_to(system: System, email: str) -> list:
    return [m for m in system.smtp.messages if str(m["X-Envelope-To"]).lower() == email.lower()]


def console(system: System, cookie: str) -> httpx.Client:
    return httpx.Client(
        base_url=system.url("notifications"),
        timeout=30,
        cookies={SESSION_COOKIE: cookie},
        headers={"accept": "text/html"},
    )


def ask(client: httpx.Client, kind: str, email: str, *, checked: bool = True) -> httpx.Response:
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"csrf_token": token[1], "email": email, "kind": kind} | ({"identity_checked": "on"} if checked else {})
    return client.post(PAGE, data=form)


def report_of(client: httpx.Client, location: str) -> dict:
    def complete():
        answer = client.get(f"{location}/bericht.json")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if body["complete"] else None

    report = wait_until(complete, timeout=60)
    assert report, client.get(f"{location}/bericht.json").text
    return report


def traces(system: System, needle: str) -> list[tuple[str, str, str]]:
    """(service, table, column) of every text or blob value in any service's database that contains
    `needle`, in any case."""
    needle, found = needle.lower(), []
    for service in ("directory", "events", "wifi", "notifications"):
        path = system.data_dir / f"{service}.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
            tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
                for column in columns:
                    for (value,) in conn.execute(f'SELECT "{column}" FROM "{table}"'):
                        if isinstance(value, bytes):
                            value = value.decode("utf-8", "replace")
                        if isinstance(value, str) and needle in value.lower():
                            found.append((service, table, column))
    return sorted(set(found))


def test_only_roles_with_the_area_privacy_reach_the_page_and_a_request_needs_the_identity_check(system, office):
    with httpx.Client(base_url=system.url("notifications"), timeout=30, headers={"accept": "text/html"}) as client:
        assert client.get(PAGE).status_code == 303  # to the login
        client.cookies.set(SESSION_COOKIE, console_session(system.services["notifications"], "events"))
        assert client.get(PAGE).status_code == 403
    with console(system, office["cookie"]) as client:
        refused = ask(client, "erasure", "niemand@example.org", checked=False)
        assert refused.status_code == 422
        assert "Identität" in refused.text and 'value="niemand@example.org"' in refused.text


def test_an_access_request_returns_what_every_service_holds_about_the_address(system, office, person):
    with console(system, office["cookie"]) as client:
        asked = ask(client, "access", person["email"].upper())
        assert asked.status_code == 303, asked.text
        report = report_of(client, asked.headers["location"])
        page = client.get(asked.headers["location"])
    assert report["kind"] == "access" and report["address"] == "er…@example.org"
    answers = {service["service"]: service for service in report["services"]}
    assert set(answers) == {"directory", "events", "notifications"}
    profiles = answers["directory"]["records"]["profiles"]
    assert [p["business_id"] for p in profiles] == [person["business_id"]]
    assert profiles[0]["owner_email"].lower() == person["email"].lower()
    registrations = answers["events"]["records"]["registrations"]
    assert [r["registration_id"] for r in registrations] == [person["registration_id"]]
    assert registrations[0]["name"].startswith("Erika Muster")
    subscriptions = answers["notifications"]["records"]["subscriptions"]
    assert len(subscriptions) == 1 and subscriptions[0]["status"] == "pending"
    assert answers["notifications"]["found"]["deliveries"] >= 2
    assert page.status_code == 200 and person["business_id"] in page.text


def test_an_erasure_leaves_no_trace_of_the_address_in_any_services_database(system, office, person):
    email = person["email"]
    assert traces(system, email)  # the scan finds what is there
    with console(system, office["cookie"]) as client:
        asked = ask(client, "erasure", email)
        assert asked.status_code == 303, asked.text
        report = report_of(client, asked.headers["location"])
        csv = client.get(f"{asked.headers['location']}/bericht.csv")
        page = client.get(asked.headers["location"])
    answers = {service["service"]: service for service in report["services"]}
    assert answers["directory"]["erased"]["owner_addresses"] == 1
    assert answers["events"]["erased"]["registrations"] == 1
    assert answers["notifications"]["erased"]["subscriptions"] == 1
    assert answers["notifications"]["erased"]["deliveries"] >= 2
    assert answers["notifications"]["erased"]["access_reports"] >= 1  # the access report above
    assert all(answer["records"] is None for answer in answers.values())
    assert csv.status_code == 200 and "owner_addresses" in csv.text
    assert page.status_code == 200 and "Alle Dienste haben geantwortet." in page.text

    assert traces(system, email) == []
    assert traces(system, email.split("@")[0]) == []
    # what is kept: the profile (without owner), the registration (without person) and the counts
    row = system.query("directory", "SELECT owner_email, name FROM businesses WHERE id = ?", person["business_id"])
    assert row[0][0] is None and row[0][1]
    row = system.query(
        "events", "SELECT name, email, status FROM registrations WHERE id = ?", person["registration_id"]
    )
    assert row == [(None, None, "confirmed")]
    with system.client("events") as events:
        assert events.get(f"/events/{person['event_id']}").json()["confirmed"] == 1


async def test_private_keeps_messages_no_longer_than_its_stated_retention(system):
    client = await system.connect()
    try:
        info = await client.jetstream().stream_info("PRIVATE")
    finally:
        await client.close()
    assert info.config.max_age and 0 < info.config.max_age <= PRIVATE_RETENTION.total_seconds()
    assert STREAMS_BY_NAME["PRIVATE"].max_age_s == PRIVATE_RETENTION.total_seconds()
    assert json.dumps(info.config.subjects) == '["hallobot.private.>"]'


async def test_a_pending_profiles_new_name_never_appears_on_a_public_subject_or_the_live_page(system):
    """Anyone can sign up and rename the profile before the office looked at it: the text must not go
    public. Everything published under hallobot.> is heard (a core subscription, as a city system
    has); only PRIVATE and the DLQ, which no outsider reaches, may carry it."""
    text = f"Jetzt bestaetigen {uuid.uuid4().hex[:8]} https://evil.example"
    client = await system.connect()
    heard: list[tuple[str, bytes]] = []

    async def hear(msg) -> None:
        heard.append((msg.subject, msg.data))

    await client.subscribe("hallobot.>", cb=hear)
    try:
        async with httpx.AsyncClient(base_url=system.url("directory"), timeout=30) as directory:
            created = await directory.post("/businesses", json={"name": "Kiosk am Eck", "category": "handwerk"})
            assert created.status_code == 201, created.text
            business = created.json()
            owner = {"Authorization": f"Bearer {business['edit_token']}"}
            renamed = await directory.patch(f"/businesses/{business['id']}", headers=owner, json={"name": text})
            assert renamed.status_code == 200 and renamed.json()["name"] == text

        def updated() -> bool:
            return any(
                subject.startswith("hallobot.directory.business.updated.") and business["id"] in subject
                for subject, _ in heard
            )

        for _ in range(300):  # the callback runs on this loop: wait without blocking it
            if updated():
                break
            await asyncio.sleep(0.1)
        assert updated(), [subject for subject, _ in heard]
        await client.flush()
    finally:
        await client.close()
    public = [
        (subject, data) for subject, data in heard if not subject.startswith(("hallobot.private.", "hallobot.dlq."))
    ]
    assert any(business["id"] in subject for subject, _ in public)  # its events were heard
    assert [subject for subject, data in public if text.encode() in data] == []
    with system.client("notifications") as notifications:
        live = notifications.get("/live")
    assert live.status_code == 200 and text not in live.text


async def test_the_page_and_a_report_are_accessible_in_german_and_english(system, office, person):
    from playwright.async_api import async_playwright

    from tests.support.browser import launch, serious_violations

    with console(system, office["cookie"]) as client:
        asked = ask(client, "access", person["email"])
        assert asked.status_code == 303
        report_of(client, asked.headers["location"])
    base = system.url("notifications")
    session = [{"name": SESSION_COOKIE, "value": office["cookie"], "url": base}]
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        try:
            context = await chromium.new_context(locale="de-DE")
            await context.add_cookies(session)
            page = await context.new_page()
            for path in (PAGE, asked.headers["location"]):
                for language in ("de", "en"):
                    await page.goto(f"{base}{path}?lang={language}")
                    assert page.url.startswith(f"{base}{path}"), page.url
                    assert await serious_violations(page) == [], (path, language)
            assert await page.get_by_role("heading", level=1).inner_text() == "Access (Art. 15 GDPR): er…@example.org"
            await context.close()
        finally:
            await chromium.close()
