"""The office's forms for events over HTTP against the real service process (issue #16): a new event
and its publication (the account is the event's `actor` on the EVENTS stream), changes, a recurring
series and the list of series, the slots of a consultation day, cancelling; bad input comes back with
the input kept and the field named; a form without CSRF and a role without the area are refused. The
browser journey through the front door: tests/web/test_journey_event_forms.py."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from shared.console.access import SESSION_COOKIE
from shared.web.csrf import COOKIE as CSRF_COOKIE
from tests.events.conftest import OPERATOR, EventsService, published_event
from tests.events.test_events_api import _messages
from tests.events.test_pages import HTML, csrf, visible
from tests.support.console import console_session, sign_in

NEW = "/verwaltung/veranstaltungen/neu"
REFUSED = "Dieser Bereich gehört nicht zu Ihrer Rolle"


def new_event(**overrides: str) -> dict[str, str]:
    """The new-event form as a browser sends it (times as `datetime-local` gives them)."""
    fields = {
        "kind": "event",
        "title": "Frühstück für Gründerinnen",
        "series": "",
        "description": "Kaffee, Brötchen und Fragen.",
        "starts_at": "2031-05-12T08:30",
        "ends_at": "2031-05-12T10:00",
        "venue": "Kulturzentrum, Blumenstraße 12",
        "online_url": "",
        "capacity": "25",
        "waitlist": "on",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "reconfirm_days_before": "2",
    }
    return fields | overrides


@pytest.fixture(scope="module")
def account() -> str:
    return f"events-staff-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def office(events_service: EventsService, account: str):
    """A browser of the events staff, signed in to the console as `account`."""
    with events_service.client(headers=HTML) as c:
        c.cookies.set(SESSION_COOKIE, console_session(events_service.process, "events", account))
        yield c


@pytest.fixture
def api(events_service: EventsService):
    with events_service.client(headers=OPERATOR) as c:
        yield c


def submit(browser: httpx.Client, path: str, fields: dict[str, str], page: str | None = None) -> httpx.Response:
    """Open the form's page (its CSRF token), then send the form."""
    token = csrf(browser.get(page or path))
    return browser.post(path, data={"csrf_token": token, **fields})


def created_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/verwaltung/veranstaltungen/"), location
    return location.rsplit("/", 1)[1]


def test_the_office_creates_an_event_with_the_form_and_publishes_it_as_itself(office, api, events_service, account):
    listing = office.get("/verwaltung/veranstaltungen")
    assert f'href="{NEW}"' in listing.text and "Neue Veranstaltung" in visible(listing.text)
    form = office.get(NEW)
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    assert '<label for="f-title">' in form.text and '<label for="f-starts_at">' in form.text
    event_id = created_id(submit(office, NEW, new_event()))
    stored = api.get(f"/events/{event_id}").json()
    assert stored["status"] == "draft" and stored["title"] == "Frühstück für Gründerinnen"
    assert (stored["starts_at"], stored["ends_at"]) == ("2031-05-12T08:30:00+02:00", "2031-05-12T10:00:00+02:00")
    assert (stored["capacity"], stored["waitlist"], stored["kind"]) == (25, True, "event")
    page = office.get(f"/verwaltung/veranstaltungen/{event_id}")
    assert "Entwurf" in visible(page.text) and "Veröffentlichen" in visible(page.text)
    published = office.post(f"/verwaltung/veranstaltungen/{event_id}/veroeffentlichen", data={"csrf_token": csrf(page)})
    assert published.status_code == 303 and published.headers["location"] == f"/verwaltung/veranstaltungen/{event_id}"
    assert api.get(f"/events/{event_id}").json()["status"] == "published"
    [announced] = _messages(events_service.nats_url, "EVENTS", event_id, 1)
    assert announced["type"].endswith("events.event.published")
    assert announced["actor"] == account
    english = visible(office.get(NEW, params={"lang": "en"}).text)
    assert "New event" in english and "Number of places" in english and "Create event" in english


def test_the_office_changes_an_event_with_the_form_prefilled_and_the_change_is_announced(
    office, api, events_service, account
):
    event = published_event(api, title="Digitalisierung im Handwerk", capacity=20)
    path = f"/verwaltung/veranstaltungen/{event['id']}/bearbeiten"
    form = office.get(path)
    assert 'value="Digitalisierung im Handwerk"' in form.text and 'value="2031-03-10T18:00"' in form.text
    assert 'name="kind"' not in form.text  # an event stays what it is
    changed = {"title": "Digitalisierung im Handwerk (neuer Raum)", "starts_at": "2031-03-10T18:30",
               "ends_at": "2031-03-10T20:30", "venue": "Rathaus, Raum 101", "series": event["series"],
               "description": "Workshop", "capacity": "30", "waitlist": "on"}  # fmt: skip
    answer = submit(office, path, changed)
    assert answer.status_code == 303 and answer.headers["location"] == f"/verwaltung/veranstaltungen/{event['id']}"
    stored = api.get(f"/events/{event['id']}").json()
    assert stored["title"] == changed["title"] and stored["venue"] == "Rathaus, Raum 101"
    assert (stored["starts_at"], stored["capacity"]) == ("2031-03-10T18:30:00+01:00", 30)
    updated = [m for m in _messages(events_service.nats_url, "EVENTS", event["id"], 2) if "updated" in m["type"]]
    assert updated and updated[0]["actor"] == account
    assert set(updated[0]["data"]["changed"]) == {"title", "starts_at", "ends_at", "venue", "capacity"}
    to_the_second = published_event(
        api, title="Auf die Sekunde", starts_at="2031-03-11T18:00:30", ends_at="2031-03-11T20:00:00"
    )
    path = f"/verwaltung/veranstaltungen/{to_the_second['id']}/bearbeiten"
    form = office.get(path)
    assert 'value="2031-03-11T18:00"' in form.text  # shown to the minute, sent back unchanged
    kept = dict(re.findall(r'name="(\w+)"[^>]*? value="([^"]*)"', form.text))  # as a browser sends it back
    kept |= dict(re.findall(r'name="(\w+)"[^>]*>([^<]*)</textarea>', form.text))
    assert submit(office, path, kept | {"title": "Auf die Sekunde, neu"}).status_code == 303
    stored = api.get(f"/events/{to_the_second['id']}").json()
    assert (stored["title"], stored["starts_at"]) == ("Auf die Sekunde, neu", "2031-03-11T18:00:30+01:00")
    updated = [m for m in _messages(events_service.nats_url, "EVENTS", to_the_second["id"], 2) if "upd" in m["type"]]
    assert updated and updated[0]["data"]["changed"] == ["title"]


def test_bad_input_comes_back_with_the_input_kept_and_the_field_named(office, api):
    cases = [
        (new_event(ends_at="2031-05-12T07:00"), "ends_at", "Das Ende muss nach dem Beginn liegen."),
        (new_event(capacity="0"), "capacity", "Dieser Wert ist zu klein."),
        (new_event(capacity="viele"), "capacity", "Bitte geben Sie eine ganze Zahl ein."),
        (new_event(venue=""), "venue", "Bitte geben Sie einen Ort oder einen Online-Link an."),
        (new_event(starts_at=""), "starts_at", "Bitte füllen Sie dieses Feld aus."),
    ]
    for fields, field, message in cases:
        fields["title"] = f"Fehlerprobe {uuid.uuid4().hex[:6]}"
        answer = submit(office, NEW, fields)
        assert answer.status_code == 422, (field, answer.text)
        assert f'<p class="error" id="e-{field}">{message}</p>' in answer.text, field
        assert f'href="#f-{field}"' in answer.text  # the summary leads to the field
        assert f'value="{fields["title"]}"' in answer.text  # the input kept
        assert field == "venue" or 'value="Kulturzentrum, Blumenstraße 12"' in answer.text
        assert fields["title"] not in str(api.get("/events", params={"limit": 500}).json())
    english = office.post(NEW + "?lang=en", data={"csrf_token": csrf(office.get(NEW)), **new_event(capacity="0")})
    assert english.status_code == 422 and "This value is too small." in english.text
    event = published_event(api, title="Späte Änderung")
    path = f"/verwaltung/veranstaltungen/{event['id']}/bearbeiten"
    wrong = submit(office, path, new_event(title="Späte Änderung", ends_at="2031-05-12T08:00"))
    assert wrong.status_code == 422 and 'id="e-ends_at"' in wrong.text and 'value="2031-05-12T08:00"' in wrong.text
    assert api.get(f"/events/{event['id']}").json()["starts_at"] == event["starts_at"]


def test_a_form_without_csrf_is_refused_and_a_wifi_account_gets_the_refusal_page(office, api, events_service):
    title = f"Ohne Formular {uuid.uuid4().hex[:6]}"
    without = office.post(NEW, data=new_event(title=title))
    assert without.status_code == 403
    event = published_event(api, title="Nur für Veranstaltungen")
    base = f"/verwaltung/veranstaltungen/{event['id']}"
    with events_service.client(headers=HTML) as wifi_staff:
        sign_in(wifi_staff, events_service.process, "wifi")
        for path in (NEW, "/verwaltung/veranstaltungen/reihen", "/verwaltung/veranstaltungen/reihen/neu",
                     f"{base}/bearbeiten", f"{base}/absagen", f"{base}/termine"):  # fmt: skip
            page = wifi_staff.get(path)
            assert page.status_code == 403 and REFUSED in page.text, path
            assert "Nur für Veranstaltungen" not in page.text
        wifi_staff.cookies.set(CSRF_COOKIE, office.cookies[CSRF_COOKIE])  # the office's CSRF cookie and token
        token = csrf(office.get(NEW))
        for path, fields in ((NEW, new_event(title=title)), (f"{base}/absagen", {})):
            sent = wifi_staff.post(path, data={"csrf_token": token, **fields})
            assert sent.status_code == 403 and REFUSED in sent.text, path
    assert title not in str(api.get("/events", params={"limit": 500}).json())
    assert api.get(f"/events/{event['id']}").json()["status"] == "published"


def test_a_consultation_day_gets_its_slots_from_the_form(office, api):
    day = new_event(kind="consultation", title="Beratungstag Finanzierung", starts_at="2031-06-03T09:00",
                    ends_at="2031-06-03T13:00", capacity="")  # fmt: skip
    event_id = created_id(submit(office, NEW, day))
    assert api.get(f"/events/{event_id}").json()["kind"] == "consultation"
    path = f"/verwaltung/veranstaltungen/{event_id}/termine"
    assert f'href="{path}"' in office.get(f"/verwaltung/veranstaltungen/{event_id}").text
    page = office.get(path)
    assert 'value="2031-06-03T09:00"' in page.text  # the first slot starts with the day
    slots = {"starts_at": "2031-06-03T09:00", "minutes": "30", "count": "4", "pause_minutes": "15",
             "expert": "Frau Dr. Meier, Sparkasse", "topic": "Gründungskredite"}  # fmt: skip
    answer = submit(office, path, slots)
    assert answer.status_code == 303 and answer.headers["location"] == path
    stored = api.get(f"/events/{event_id}/slots").json()
    assert [s["starts_at"][11:16] for s in stored] == ["09:00", "09:45", "10:30", "11:15"]
    assert "Frau Dr. Meier, Sparkasse" in visible(office.get(path).text)
    late = submit(office, path, slots | {"starts_at": "2031-06-03T12:30"})
    assert late.status_code == 422 and "Die Termine müssen innerhalb des Beratungstags liegen." in late.text
    assert 'value="2031-06-03T12:30"' in late.text and len(api.get(f"/events/{event_id}/slots").json()) == 4


def test_a_series_is_created_at_once_and_listed(office, api):
    name = f"Gründerfrühstück {uuid.uuid4().hex[:6]}"
    fields = new_event(series=name, frequency="monthly", interval="1", count="3", publish="on")
    answer = submit(office, "/verwaltung/veranstaltungen/reihen/neu", fields)
    assert answer.status_code == 303 and answer.headers["location"] == "/verwaltung/veranstaltungen/reihen"
    dates = api.get("/events", params={"series": name}).json()
    assert [e["starts_at"][:10] for e in dates] == ["2031-05-12", "2031-06-12", "2031-07-12"]
    assert {e["status"] for e in dates} == {"published"}
    listing = visible(office.get("/verwaltung/veranstaltungen/reihen").text)
    assert f"{name} 3 0" in listing
    too_few = submit(office, "/verwaltung/veranstaltungen/reihen/neu", fields | {"count": "1"})
    assert too_few.status_code == 422 and 'id="e-count"' in too_few.text


def test_cancelling_asks_once_then_cancels_the_event(office, api):
    event = published_event(api, title="Fällt aus")
    path = f"/verwaltung/veranstaltungen/{event['id']}/absagen"
    page = office.get(path)
    assert "lässt sich nicht rückgängig machen" in page.text
    answer = office.post(path, data={"csrf_token": csrf(page)})
    assert answer.status_code == 303 and answer.headers["location"] == f"/verwaltung/veranstaltungen/{event['id']}"
    assert api.get(f"/events/{event['id']}").json()["status"] == "cancelled"
    edit = submit(office, f"/verwaltung/veranstaltungen/{event['id']}/bearbeiten", new_event(title="Doch nicht"))
    assert edit.status_code == 422 and "Die Veranstaltung ist abgesagt" in edit.text
