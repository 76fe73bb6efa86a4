"""iCalendar documents, consultation days with slots, and series created in one go."""

from __future__ import annotations

from icalendar import Calendar

from tests.events.conftest import OPERATOR, event_body, person, published_event


def test_an_event_is_served_as_icalendar_in_berlin_time(events_service):
    with events_service.client() as client:
        event = published_event(
            client, title="Handwerker-Frühstück", starts_at="2031-07-01T08:00:00", ends_at="2031-07-01T10:00:00"
        )
        response = client.get(f"/events/{event['id']}.ics")
        assert client.get("/events/nope.ics").status_code == 404
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == "Handwerker-Frühstück"
    assert str(vevent["uid"]) == f"{event['id']}@hallo-bot.de"
    assert vevent.decoded("dtstart").isoformat() == "2031-07-01T08:00:00+02:00"
    assert str(vevent["location"]) == "Rathaus Bottrop, Kulturzentrum"
    assert calendar.walk("VTIMEZONE") and "TZID=Europe/Berlin" in response.text


def test_the_feed_lists_published_events_with_cancellations_and_no_drafts(events_service):
    with events_service.client() as client:
        shown = published_event(client, series="Feed-Test")
        cancelled = published_event(client, series="Feed-Test")
        client.post(f"/events/{cancelled['id']}/cancel", headers=OPERATOR)
        draft = client.post("/events", json=event_body(series="Feed-Test"), headers=OPERATOR).json()
        feed = Calendar.from_ical(client.get("/events.ics", params={"series": "Feed-Test"}).content)
    status = {str(v["uid"]).split("@")[0]: str(v["status"]) for v in feed.walk("VEVENT")}
    assert status == {shown["id"]: "CONFIRMED", cancelled["id"]: "CANCELLED"}
    assert draft["id"] not in status


def _consultation_day(client) -> tuple[dict, list[dict]]:
    event = published_event(
        client,
        kind="consultation",
        title="Digitalisierungs-Sprechtag",
        capacity=None,
        starts_at="2031-05-05T09:00:00",
        ends_at="2031-05-05T13:00:00",
        venue=None,
        online_url="https://meet.example.org/sprechtag",
    )
    slots = client.post(
        f"/events/{event['id']}/slots",
        headers=OPERATOR,
        json={
            "starts_at": "2031-05-05T09:00:00",
            "minutes": 30,
            "count": 4,
            "expert": "HWK Münster",
            "topic": "Digitale Buchhaltung",
        },
    )
    assert slots.status_code == 201, slots.text
    return event, slots.json()


def test_a_business_sees_free_slots_and_books_one_and_a_taken_slot_is_refused(events_service):
    with events_service.client() as client:
        event, slots = _consultation_day(client)
        assert [s["starts_at"] for s in slots] == [
            "2031-05-05T09:00:00+02:00",
            "2031-05-05T09:30:00+02:00",
            "2031-05-05T10:00:00+02:00",
            "2031-05-05T10:30:00+02:00",
        ]
        booked = client.post(f"/events/{event['id']}/registrations", json=person(1, slot_id=slots[0]["id"]))
        assert booked.status_code == 201 and booked.json()["status"] == "confirmed"
        taken = client.post(f"/events/{event['id']}/registrations", json=person(2, slot_id=slots[0]["id"]))
        assert taken.status_code == 409 and taken.json()["field"] == "slot_id"
        no_slot = client.post(f"/events/{event['id']}/registrations", json=person(2))
        assert no_slot.status_code == 422 and no_slot.json()["field"] == "slot_id"
        free = client.get(f"/events/{event['id']}/slots", params={"free": True}).json()
        assert [s["id"] for s in free] == [s["id"] for s in slots[1:]]
        assert client.get(f"/events/{event['id']}").json()["places_left"] == 3
        # a cancellation frees the slot again
        client.post(f"/registrations/{booked.json()['id']}/cancel", params={"token": booked.json()["cancel_token"]})
        assert len(client.get(f"/events/{event['id']}/slots", params={"free": True}).json()) == 4


def test_slots_outside_the_day_or_on_an_ordinary_event_are_refused(events_service):
    with events_service.client() as client:
        event, _ = _consultation_day(client)
        late = client.post(
            f"/events/{event['id']}/slots",
            headers=OPERATOR,
            json={"starts_at": "2031-05-05T12:30:00", "minutes": 30, "count": 2, "expert": "X", "topic": "Y"},
        )
        assert late.status_code == 422
        ordinary = published_event(client)
        refused = client.post(
            f"/events/{ordinary['id']}/slots",
            headers=OPERATOR,
            json={"starts_at": "2031-03-10T18:00:00", "minutes": 30, "count": 1, "expert": "X", "topic": "Y"},
        )
        assert refused.status_code == 422
        slot = client.post(f"/events/{ordinary['id']}/registrations", json=person(1, slot_id="x"))
        assert slot.status_code == 422 and slot.json()["field"] == "slot_id"


def test_a_monthly_series_is_created_in_one_go_at_the_same_local_time(events_service):
    with events_service.client() as client:
        response = client.post(
            "/events/series",
            headers=OPERATOR,
            json=event_body(
                title="Handwerker-Frühstück",
                series="Handwerker-Frühstück Serie-Test",
                starts_at="2031-01-31T08:00:00",
                ends_at="2031-01-31T10:00:00",
                registration_closes_at="2031-01-30T12:00:00",
                frequency="monthly",
                count=4,
                publish=True,
            ),
        )
        assert response.status_code == 201, response.text
        series = response.json()
        listed = client.get("/events", params={"series": "Handwerker-Frühstück Serie-Test"}).json()
    assert [e["starts_at"] for e in series] == [
        "2031-01-31T08:00:00+01:00",
        "2031-02-28T08:00:00+01:00",
        "2031-03-31T08:00:00+02:00",
        "2031-04-30T08:00:00+02:00",
    ]
    assert series[1]["registration_closes_at"] == "2031-02-27T12:00:00+01:00"
    assert {e["status"] for e in series} == {"published"} and len(listed) == 4


def test_a_series_needs_a_count_and_a_frequency(events_service):
    with events_service.client() as client:
        response = client.post("/events/series", headers=OPERATOR, json=event_body(frequency="daily", count=1))
    assert response.status_code == 422 and "frequency" in response.text and "count" in response.text


def test_the_office_prepares_the_slots_of_a_draft_day_before_publishing_it(events_service):
    with events_service.client() as client:
        day = client.post(
            "/events",
            headers=OPERATOR,
            json=event_body(
                kind="consultation",
                title="Beratungstag in Vorbereitung",
                capacity=None,
                starts_at="2031-06-02T09:00:00",
                ends_at="2031-06-02T11:00:00",
                venue=None,
                online_url="https://meet.example.org/vorbereitung",
            ),
        ).json()
        slots = client.post(
            f"/events/{day['id']}/slots",
            headers=OPERATOR,
            json={"starts_at": "2031-06-02T09:00:00", "minutes": 30, "count": 4, "expert": "HWK", "topic": "Website"},
        )
        assert slots.status_code == 201, slots.text
        assert len(client.get(f"/events/{day['id']}/slots", headers=OPERATOR).json()) == 4
        assert client.get(f"/events/{day['id']}/slots").status_code == 404  # the public sees no draft
