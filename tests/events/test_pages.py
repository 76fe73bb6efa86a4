"""The events pages over HTTP against the real service process: the calendar by month and by series,
the registration form (errors kept, full → waitlist), slot booking with a topic, the cancel page
behind the mail's link, English. The browser journeys through the front door: tests/web/."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.events.conftest import OPERATOR, EventsService, person, published_event, start_events
from tests.events.test_events_api import _messages

HTML = {"Accept": "text/html"}


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def send(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """Open the page (for its CSRF token and cookie), then send its form as a browser does."""
    token = csrf(client.get(path, headers=HTML))
    return client.post(path, data={"csrf_token": token, "website": "", **fields}, headers=HTML)


def visible(html: str) -> str:
    """The text a person reads: no tags, no attribute values."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def client(events_service):
    with events_service.client(headers=HTML) as c:
        yield c


def test_the_calendar_shows_a_month_with_times_without_seconds_and_links_to_the_neighbouring_months(client):
    title = f"Handwerker-Frühstück bei Kamp {uuid.uuid4().hex[:6]}"
    event = published_event(client, title=title, series="Handwerker-Frühstück", capacity=12)
    page = client.get("/veranstaltungen", params={"monat": "2031-03"})
    assert page.status_code == 200 and page.headers["content-language"] == "de"
    text = visible(page.text)
    assert "Veranstaltungen im März 2031" in text and title in text
    assert "Montag, 10. März 2031, 18:00 Uhr – 20:00 Uhr" in text and "18:00:00" not in page.text
    assert "Rathaus Bottrop, Kulturzentrum" in text and "Freie Plätze: 12" in text
    assert event["id"] not in text  # only in the link
    assert 'href="/veranstaltungen?monat=2031-02"' in page.text and 'href="/veranstaltungen?monat=2031-04"' in page.text
    assert title not in client.get("/veranstaltungen", params={"monat": "2031-04"}).text
    assert client.get("/veranstaltungen", params={"monat": "März"}).status_code == 422


def test_the_calendar_by_series_names_the_series_and_lists_its_coming_dates(client):
    series = f"Digitalisierungs-Workshops {uuid.uuid4().hex[:6]}"
    published_event(client, title="Workshop: Die eigene Website", series=series)
    published_event(
        client,
        title="Workshop: Online-Termine",
        series=series,
        starts_at="2031-04-10T18:00:00",
        ends_at="2031-04-10T20:00:00",
    )
    page = client.get("/veranstaltungen", params={"reihe": series})
    text = visible(page.text)
    assert f"<h1>{series}</h1>" in page.text
    assert text.index("Die eigene Website") < text.index("Online-Termine")
    assert f'href="/veranstaltungen?reihe={series.replace(" ", "%20")}"' in client.get("/veranstaltungen").text


def test_a_form_with_errors_comes_back_with_the_input_kept_and_each_error_next_to_its_field(client):
    event = published_event(client)
    path = f"/veranstaltungen/{event['id']}"
    answer = send(client, path, name="Anna Beispiel", email="anna(at)example", organisation="Bäckerei Kamp")
    assert answer.status_code == 422
    assert 'value="Anna Beispiel"' in answer.text and 'value="anna(at)example"' in answer.text
    assert 'id="e-email"' in answer.text and "gültige E-Mail-Adresse" in answer.text
    assert 'id="e-consent"' in answer.text and "Bitte stimmen Sie zu" in answer.text
    without_token = client.post(path, data={"name": "A", "email": "a@example.org", "consent": "on"})
    assert without_token.status_code == 403
    bot = send(client, path, name="Bot", email="bot@example.org", consent="on", homepage="https://spam.example")
    assert bot.status_code == 422 and "Sie sind angemeldet" not in bot.text


def test_the_form_counts_against_the_per_client_limit_of_the_api(events_service, tmp_path):
    """EVENTS_REGISTRATION_LIMIT holds for the page as for the API (one limiter, shared across instances)."""
    url = f"sqlite:///{tmp_path / 'limited.sqlite3'}"
    process = start_events(events_service.nats_url, url, tmp_path, EVENTS_REGISTRATION_LIMIT="2")
    try:
        with EventsService(process.url, events_service.nats_url, url, process).client(headers=HTML) as client:
            event = published_event(client, capacity=None)
            path = f"/veranstaltungen/{event['id']}"
            answers = [send(client, path, name="P", email=f"p{n}@example.org", consent="on") for n in range(3)]
            assert [a.status_code for a in answers] == [303, 303, 429]
            assert "zu viele Anmeldungen" in answers[2].text and "too many" not in answers[2].text.lower()
    finally:
        process.kill()


def test_a_full_event_says_so_before_sending_and_puts_the_next_person_on_the_waitlist(client):
    event = published_event(client, capacity=1)
    client.post(f"/events/{event['id']}/registrations", json=person(1))
    path = f"/veranstaltungen/{event['id']}"
    page = client.get(path)
    assert "ausgebucht – Warteliste" in page.text and "Warteliste (Platz 1)" in page.text
    sent = send(client, path, name="Bernd Beispiel", email="bernd@example.org", consent="on")
    assert sent.status_code == 303 and sent.headers["location"] == f"{path}/angemeldet?warteliste=1"
    done = client.get(sent.headers["location"])
    assert "Sie stehen auf der Warteliste, Platz 1" in done.text
    again = send(client, path, name="Bernd Beispiel", email="BERND@example.org", consent="on")
    assert again.status_code == 422 and 'id="e-email"' in again.text and "schon jemand" in again.text


def test_a_consultation_slot_is_booked_with_a_topic_and_its_own_calendar_file(events_service, client):
    day = published_event(
        client,
        kind="consultation",
        title="Digitalisierungssprechtag",
        series="Sprechtag",
        capacity=None,
        starts_at="2031-05-05T09:00:00",
        ends_at="2031-05-05T13:00:00",
    )
    slots = client.post(
        f"/events/{day['id']}/slots",
        headers=OPERATOR,
        json={"starts_at": "2031-05-05T10:00:00", "minutes": 30, "count": 2, "expert": "Frau Kamp", "topic": "IT"},
    ).json()
    path = f"/veranstaltungen/{day['id']}"
    page = client.get(path)
    assert "10:00 Uhr – 10:30 Uhr" in visible(page.text) and "IT-Sicherheit" in page.text
    missing = send(client, path, name="Cem", email="cem@example.org", consent="on")
    assert missing.status_code == 422 and 'id="e-slot_id"' in missing.text and 'id="e-topic"' in missing.text
    own = send(client, path, name="Cem", email="cem@example.org", consent="on", slot_id=slots[1]["id"], topic="anderes")
    assert own.status_code == 422 and 'id="e-own_topic"' in own.text
    booked = send(
        client, path, name="Cem", email="cem@example.org", consent="on", slot_id=slots[1]["id"], topic="it-sicherheit"
    )
    assert booked.status_code == 303 and booked.headers["location"] == f"{path}/angemeldet?termin={slots[1]['id']}"
    done = visible(client.get(booked.headers["location"]).text)
    assert "Sie sind angemeldet" in done and "10:30 Uhr – 11:00 Uhr" in done
    ics = client.get(f"{path}/termine/{slots[1]['id']}.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "DTSTART;TZID=Europe/Berlin:20310505T103000" in ics.text
    assert "DTEND;TZID=Europe/Berlin:20310505T110000" in ics.text
    taken = send(
        client, path, name="Dora", email="dora@example.org", consent="on", slot_id=slots[1]["id"], topic="website"
    )
    assert taken.status_code == 422 and 'id="e-slot_id"' in taken.text
    notice = next(
        m["data"]
        for m in _messages(events_service.nats_url, "PRIVATE", day["id"], 1)
        if m["data"]["kind"] == "confirmed"
    )
    assert notice["topic"] == "IT-Sicherheit" and notice["slot_starts_at"].startswith("2031-05-05T08:30:00")
    assert notice["ics_url"].endswith(f"/veranstaltungen/{day['id']}/termine/{slots[1]['id']}.ics")


def test_the_cancel_page_shows_the_registration_asks_once_and_gives_the_place_to_the_waitlist(client):
    event = published_event(client, capacity=1)
    first = client.post(f"/events/{event['id']}/registrations", json=person(1)).json()
    second = client.post(f"/events/{event['id']}/registrations", json=person(2)).json()
    link = first["cancel_url"].removeprefix("http://127.0.0.1:8000")
    assert link.startswith("/veranstaltungen/abmelden?")
    page = client.get(link)
    assert page.status_code == 200 and event["title"] in page.text and "Sie sind angemeldet." in page.text
    assert f'name="token" value="{first["cancel_token"]}"' in page.text
    done = client.post(
        "/veranstaltungen/abmelden",
        data={"csrf_token": csrf(page), "anmeldung": first["id"], "token": first["cancel_token"]},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/veranstaltungen/abgemeldet")
    assert "Sie sind abgemeldet" in client.get(done.headers["location"]).text
    state = client.get(f"/registrations/{second['id']}", params={"token": second["cancel_token"]}).json()
    assert state["status"] == "confirmed"
    assert "bereits storniert" in client.get(link).text
    wrong = client.get("/veranstaltungen/abmelden", params={"anmeldung": first["id"], "token": "falsch"})
    assert wrong.status_code == 404 and "Dieser Link ist ungültig" in wrong.text


def test_the_pages_speak_english_and_an_english_registration_is_stored_in_english(events_service, client):
    event = published_event(client)
    path = f"/veranstaltungen/{event['id']}"
    page = client.get(path, params={"lang": "en"})
    assert page.headers["content-language"] == "en" and "Your email address" in page.text
    assert "Ihre E-Mail-Adresse" not in page.text
    sent = send(client, path, name="Emma", email="emma@example.org", consent="on")  # the cookie keeps English
    assert sent.status_code == 303
    assert "You are registered" in client.get(sent.headers["location"]).text
    notice = _messages(events_service.nats_url, "PRIVATE", event["id"], 1)[0]["data"]
    assert notice["language"] == "en" and notice["event_url"].endswith(path)
    calendar = client.get("/veranstaltungen", params={"monat": "2031-03"})
    assert "Events in March 2031" in calendar.text
