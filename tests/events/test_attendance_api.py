"""Check-in and reconfirmation over HTTP against the real service process: the operators' JSON API,
the console pages (behind a console session, tests/support/console.py: the events role and the office's
may use them, the WLAN role may not, a bearer token is no session), the list at the door, and the
registrant's reconfirmation page behind the mail's link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from services.events.domain_times import BERLIN
from shared.web.csrf import COOKIE as CSRF_COOKIE
from tests.events.conftest import OPERATOR, person, published_event, start_events
from tests.events.test_events_api import _messages
from tests.events.test_pages import HTML, csrf, visible
from tests.support.console import sign_in


def happening_now(client, capacity: int = 3, people: int = 4, **fields) -> tuple[dict, list[dict]]:
    """An event with registrations that is under way now: registered while it was ahead, then moved."""
    event = published_event(client, capacity=capacity, **fields)
    registered = [client.post(f"/events/{event['id']}/registrations", json=person(n)).json() for n in range(people)]
    now = datetime.now(UTC)
    moved = {"starts_at": (now - timedelta(minutes=1)).isoformat(), "ends_at": (now + timedelta(hours=2)).isoformat()}
    assert client.patch(f"/events/{event['id']}", json=moved, headers=OPERATOR).status_code == 200
    return event, registered


@pytest.fixture
def client(events_service):
    with events_service.client() as c:
        yield c


def test_the_office_checks_registrants_in_and_out_and_the_attendance_figure_follows(client, events_service):
    event, people = happening_now(client)
    first, waitlisted = people[0]["id"], people[3]["id"]
    assert client.post(f"/registrations/{first}/attendance").status_code == 401
    answer = client.post(f"/registrations/{first}/attendance", headers=OPERATOR)
    assert answer.status_code == 200 and answer.json()["attended"] is True
    assert client.post(f"/registrations/{people[1]['id']}/attendance", headers=OPERATOR).status_code == 200
    figures = client.get(f"/events/{event['id']}/attendance", headers=OPERATOR).json()
    assert (figures["confirmed"], figures["attended"], figures["no_shows"], figures["closed"]) == (3, 2, None, False)
    undone = client.delete(f"/registrations/{people[1]['id']}/attendance", headers=OPERATOR)
    assert undone.status_code == 200 and undone.json()["attended"] is False
    assert client.get(f"/events/{event['id']}/attendance", headers=OPERATOR).json()["attended"] == 1
    refused = client.post(f"/registrations/{waitlisted}/attendance", headers=OPERATOR)
    assert refused.status_code == 409 and "Only confirmed" in refused.json()["message"]
    assert client.get(f"/events/{event['id']}/attendance").status_code == 401
    csv = client.get(f"/events/{event['id']}/registrations.csv", headers=OPERATOR).text
    header, *rows = csv.lstrip("\ufeff").splitlines()
    assert header.endswith(";attended;attended_at;reconfirmation")
    assert [row.split(";")[-3] for row in rows] == ["yes", "no", "no", ""]
    published = _messages(events_service.nats_url, "EVENTS", event["id"], 7)
    types = [m["type"].removeprefix("de.bottrop.hallobot.") for m in published]
    assert (
        types.count("events.registration.attended") == 2 and types.count("events.registration.attendance_undone") == 1
    )
    assert all("name" not in m["data"] and "email" not in m["data"] for m in published)


def test_a_registrant_cannot_be_checked_in_before_the_day_of_the_event(client):
    event = published_event(client)  # in 2031
    registration = client.post(f"/events/{event['id']}/registrations", json=person(1)).json()
    refused = client.post(f"/registrations/{registration['id']}/attendance", headers=OPERATOR)
    assert refused.status_code == 409 and "day of the event" in refused.json()["message"]


def test_reconfirmation_is_a_setting_of_events_with_places(client):
    event = published_event(client, reconfirm=True, reconfirm_days_before=3)
    assert (event["reconfirm"], event["reconfirm_days_before"]) == (True, 3)
    assert (
        client.post("/events", json={**event_body_of(event), "reconfirm_days_before": 1}, headers=OPERATOR).status_code
        == 422
    )
    day = client.post(
        "/events", json={**event_body_of(event), "kind": "consultation", "capacity": None}, headers=OPERATOR
    )
    assert day.status_code == 201
    refused = client.patch(f"/events/{day.json()['id']}", json={"reconfirm": True}, headers=OPERATOR)
    assert refused.status_code == 422 and refused.json()["field"] == "reconfirm"


def event_body_of(event: dict) -> dict:
    return {
        "title": event["title"],
        "starts_at": event["starts_at"],
        "ends_at": event["ends_at"],
        "venue": event["venue"],
        "capacity": event["capacity"],
    }


# --- the console pages ------------------------------------------------------------------------------


@pytest.fixture
def office(events_service):
    """A browser of the events staff, signed in to the console."""
    with events_service.client(headers=HTML) as c:
        yield sign_in(c, events_service.process, "events")


def test_the_console_lists_todays_events_first_with_the_way_to_the_door(office, client, events_service):
    later = published_event(client, title="Später im Jahr")
    today, _ = happening_now(client, title="Frühstück heute")
    page = office.get("/verwaltung/veranstaltungen")
    assert page.status_code == 200
    text = visible(page.text)
    assert text.index("Frühstück heute") < text.index("Später im Jahr")
    assert f'href="/verwaltung/veranstaltungen/{today["id"]}/einlass"' in page.text
    assert f'href="/verwaltung/veranstaltungen/{later["id"]}/teilnehmende.csv"' in page.text
    assert today["id"] not in text and later["id"] not in text  # ids only in links
    with events_service.client(headers=HTML) as stranger:
        for credential in ({}, OPERATOR):  # no session; a bearer token is not one
            page = stranger.get("/verwaltung/veranstaltungen", headers=credential)
            assert page.status_code == 303
            assert page.headers["location"] == "/verwaltung/anmelden?weiter=/verwaltung/veranstaltungen"
    with events_service.client(headers=HTML) as office_staff:
        page = sign_in(office_staff, events_service.process, "office").get("/verwaltung/veranstaltungen")
        assert page.status_code == 200 and "Frühstück heute" in page.text


def test_a_role_without_the_events_area_gets_a_refusal_page_and_checks_no_one_in(office, client, events_service):
    event, people = happening_now(client, title="Nicht fürs WLAN")
    door = f"/verwaltung/veranstaltungen/{event['id']}/einlass"
    with events_service.client(headers=HTML) as wifi_staff:
        sign_in(wifi_staff, events_service.process, "wifi")
        for path in ("/verwaltung/veranstaltungen", door, f"/verwaltung/veranstaltungen/{event['id']}"):
            page = wifi_staff.get(path)
            assert page.status_code == 403 and "Dieser Bereich gehört nicht zu Ihrer Rolle" in page.text, path
            assert "Nicht fürs WLAN" not in page.text and "Person 0" not in page.text
        token = csrf(office.get(door))  # a form token of the office's browser, with its CSRF cookie
        wifi_staff.cookies.set(CSRF_COOKIE, office.cookies[CSRF_COOKIE])
        sent = wifi_staff.post(door, data={"csrf_token": token, "anmeldung": people[0]["id"], "aktion": "da"})
        assert sent.status_code == 403 and "Dieser Bereich gehört nicht zu Ihrer Rolle" in sent.text
    assert client.get(f"/events/{event['id']}/attendance", headers=OPERATOR).json()["attended"] == 0


def test_a_check_in_at_the_door_is_one_button_and_changes_the_attendance_figure(office, client):
    event, people = happening_now(client, title="Einlass-Probe")
    door = f"/verwaltung/veranstaltungen/{event['id']}/einlass"
    page = office.get(door)
    assert page.status_code == 200 and "0 von 3 da" in visible(page.text)
    assert visible(page.text).count("Einchecken") == 3  # the confirmed only, not the waitlist
    sent = office.post(door, data={"csrf_token": csrf(page), "anmeldung": people[0]["id"], "aktion": "da"})
    assert sent.status_code == 303 and sent.headers["location"] == f"{door}#r-{people[0]['id']}"
    page = office.get(door)
    assert "1 von 3 da" in visible(page.text) and "zurücknehmen" in visible(page.text)
    assert client.get(f"/events/{event['id']}/attendance", headers=OPERATOR).json()["attended"] == 1
    taken_back = office.post(door, data={"csrf_token": csrf(page), "anmeldung": people[0]["id"], "aktion": "zurueck"})
    assert taken_back.status_code == 303 and "0 von 3 da" in visible(office.get(door).text)
    no_place = office.post(door, data={"csrf_token": csrf(page), "anmeldung": people[3]["id"], "aktion": "da"})
    assert no_place.status_code == 409 and "keinen bestätigten Platz" in no_place.text
    assert office.post(door, data={"anmeldung": people[1]["id"], "aktion": "da"}).status_code == 403  # no CSRF
    english = office.get(door, params={"lang": "en"})
    assert "0 of 3 here" in visible(english.text) and "Check in" in english.text


def test_the_event_page_shows_the_participants_and_sets_reconfirmation(office, client):
    event, people = happening_now(client, title="Teilnehmende-Probe")
    client.post(f"/registrations/{people[0]['id']}/attendance", headers=OPERATOR)
    path = f"/verwaltung/veranstaltungen/{event['id']}"
    page = office.get(path)
    text = visible(page.text)
    assert "Person 0" in text and "Person 3" in text and "ja, " in text and "1 von 3" in text
    sent = office.post(f"{path}/bestaetigung", data={"csrf_token": csrf(page), "reconfirm": "on", "tage": "3"})
    assert sent.status_code == 303 and sent.headers["location"] == path
    stored = client.get(f"/events/{event['id']}", headers=OPERATOR).json()
    assert (stored["reconfirm"], stored["reconfirm_days_before"]) == (True, 3)
    wrong = office.post(f"{path}/bestaetigung", data={"csrf_token": csrf(page), "reconfirm": "on", "tage": "40"})
    assert wrong.status_code == 422 and 'value="40"' in wrong.text and 'id="e-tage"' in wrong.text
    csv = office.get(f"{path}/teilnehmende.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv") and "Person 0" in csv.text


# --- the registrant's reconfirmation page ---------------------------------------------------------------


@pytest.fixture(scope="module")
def asking_service(events_nats, tmp_path_factory):
    """Jobs every half second, so that an event two days ahead is asked at once."""
    tmp_dir = tmp_path_factory.mktemp("events-asking")
    url = f"sqlite:///{tmp_dir / 'events.sqlite3'}"
    process = start_events(events_nats.url, url, tmp_dir, EVENTS_JOB_INTERVAL_S="0.5")
    try:
        yield process
    finally:
        process.kill()


def test_a_registrant_confirms_with_one_button_behind_the_mails_link(asking_service, events_nats):
    with httpx.Client(base_url=asking_service.url, timeout=30) as client:
        # The asking begins two days before the start, a few seconds from now: the registration comes first.
        # (The job asks an event once; a registration after that pass is never asked, and a job passing
        # between the publication and the registration made this test fail on a slow machine.)
        starts = datetime.now(BERLIN) + timedelta(days=2, seconds=4)
        times = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()}
        event = published_event(client, reconfirm=True, **times)
        registration = client.post(f"/events/{event['id']}/registrations", json=person(1)).json()
        asked = [m for m in _messages(events_nats.url, "PRIVATE", event["id"], 2) if m["data"]["kind"] == "reconfirm"]
        assert asked, "no reconfirmation notice"
        link = urlsplit(asked[0]["data"]["reconfirm_url"])
        page_path = f"{link.path}?{link.query}"
        with httpx.Client(base_url=asking_service.url, timeout=30, headers=HTML) as browser:
            page = browser.get(page_path)
            assert page.status_code == 200 and "Ja, ich komme" in page.text and "Platz freigeben" in page.text
            again = browser.get(page_path)  # a mail scanner's GET changes nothing
            assert "Ja, ich komme" in again.text
            token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
            sent = browser.post(
                "/veranstaltungen/bestaetigen",
                data={"csrf_token": csrf(page), "anmeldung": registration["id"], "token": token},
            )
            assert sent.status_code == 303 and sent.headers["location"].startswith("/veranstaltungen/bestaetigt")
            assert "Ihr Platz für" in browser.get(sent.headers["location"]).text
            assert "Teilnahme bestätigt" in visible(browser.get(page_path).text)
            wrong = browser.get(f"{link.path}?anmeldung={registration['id']}&token=hbr_falsch")
            assert wrong.status_code == 404
        kinds = [m["type"] for m in _messages(events_nats.url, "EVENTS", event["id"], 4)]
        assert "de.bottrop.hallobot.events.registration.reconfirmed" in kinds
