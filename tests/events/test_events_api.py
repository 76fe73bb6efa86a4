"""Events, registrations, waitlist and cancel links over real HTTP against `hallobot serve events`."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest

from tests.events.conftest import OPERATOR, event_body, person, published_event
from tests.support.stream import stream_messages


def _messages(nats_url: str, stream: str, event_id: str, count: int) -> list[dict]:
    """The envelopes in `stream` about `event_id`, once at least `count` arrived."""

    async def read() -> list[dict]:
        nc = await nats.connect(nats_url)
        try:
            for _ in range(100):
                bodies = [json.loads(m.data) for m in await stream_messages(nc.jetstream(), stream)]
                found = [b for b in bodies if b["data"].get("event_id") == event_id]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.1)
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def test_only_an_operator_creates_publishes_and_cancels_events(events_service):
    with events_service.client() as client:
        assert client.post("/events", json=event_body()).status_code == 401
        assert client.post("/events", json=event_body(), headers={"Authorization": "Bearer wrong"}).status_code == 401
        created = client.post("/events", json=event_body(), headers=OPERATOR)
        assert created.status_code == 201
        event = created.json()
        assert event["status"] == "draft" and event["starts_at"] == "2031-03-10T18:00:00+01:00"
        assert client.get(f"/events/{event['id']}").status_code == 404  # drafts are not public
        assert event["id"] not in [e["id"] for e in client.get("/events").json()]
        assert client.post(f"/events/{event['id']}/publish").status_code == 401
        assert client.post(f"/events/{event['id']}/publish", headers=OPERATOR).json()["status"] == "published"
        assert client.get(f"/events/{event['id']}").json()["places_left"] == 20
        assert event["id"] in [e["id"] for e in client.get("/events").json()]
        assert client.post(f"/events/{event['id']}/cancel", headers=OPERATOR).json()["status"] == "cancelled"


def test_an_update_of_a_published_event_is_announced_with_the_changed_fields(events_service):
    with events_service.client() as client:
        event = published_event(client)
        changed = client.patch(
            f"/events/{event['id']}", json={"title": "Neuer Titel", "venue": "Ebel"}, headers=OPERATOR
        )
        assert changed.status_code == 200 and changed.json()["title"] == "Neuer Titel"
        bad = client.patch(f"/events/{event['id']}", json={"ends_at": "2031-03-10T17:00:00"}, headers=OPERATOR)
        assert bad.status_code == 422 and bad.json()["field"] == "ends_at"
    messages = _messages(events_service.nats_url, "EVENTS", event["id"], 2)
    updated = [m for m in messages if m["type"].endswith("events.event.updated")]
    assert [m["type"].rsplit(".", 2)[-2:] for m in messages[:1]] == [["event", "published"]]
    assert updated[0]["data"]["changed"] == ["title", "venue"] and updated[0]["data"]["title"] == "Neuer Titel"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (person(1, consent=False), "consent"),
        ({"name": "Ohne Zustimmung", "email": "a@example.org"}, "consent"),
        (person(1, email="not-an-address"), "email"),
        (person(1, name=""), "name"),
        (person(1, language="fr"), "language"),
    ],
)
def test_bad_registrations_are_refused_naming_the_field(events_service, body, field):
    with events_service.client() as client:
        event = published_event(client)
        response = client.post(f"/events/{event['id']}/registrations", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"registration_opens_at": "2031-01-01T00:00:00"}, "not opened yet"),
        ({"registration_opens_at": "2020-01-01T00:00:00", "registration_closes_at": "2021-01-01T00:00:00"}, "closed"),
        ({"starts_at": "2021-03-10T18:00:00", "ends_at": "2021-03-10T20:00:00"}, "closed"),
    ],
)
def test_registration_outside_the_window_is_refused(events_service, overrides, message):
    with events_service.client() as client:
        event = published_event(client, **overrides)
        response = client.post(f"/events/{event['id']}/registrations", json=person(1))
    assert response.status_code == 409 and message in response.json()["message"]


def test_registration_for_a_cancelled_a_draft_or_a_missing_event_is_refused(events_service):
    with events_service.client() as client:
        event = published_event(client)
        client.post(f"/events/{event['id']}/cancel", headers=OPERATOR)
        cancelled = client.post(f"/events/{event['id']}/registrations", json=person(1))
        assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["message"]
        draft = client.post("/events", json=event_body(), headers=OPERATOR).json()
        assert client.post(f"/events/{draft['id']}/registrations", json=person(1)).status_code == 409
        assert client.post("/events/nope/registrations", json=person(1)).status_code == 404


def test_bad_event_input_is_a_4xx_naming_the_field(events_service):
    with events_service.client() as client:
        for body, field in [
            (event_body(ends_at="2031-03-10T17:00:00"), "ends_at"),
            (event_body(venue=None), "venue"),
            (event_body(capacity=0), "capacity"),
            (event_body(starts_at="morgen"), "starts_at"),
            (event_body(online_url="kein link", venue=None), "online_url"),
        ]:
            response = client.post("/events", json=body, headers=OPERATOR)
            assert response.status_code == 422, (body, response.text)
            assert field in response.text


def test_the_same_email_cannot_hold_two_places_in_one_event(events_service):
    with events_service.client() as client:
        event = published_event(client)
        first = client.post(f"/events/{event['id']}/registrations", json=person(1))
        again = client.post(f"/events/{event['id']}/registrations", json=person(2, email="PERSON1@example.org"))
        assert first.status_code == 201
        assert again.status_code == 409 and again.json()["field"] == "email"
        # after a cancellation the address may register again
        client.post(f"/registrations/{first.json()['id']}/cancel", params={"token": first.json()["cancel_token"]})
        assert client.post(f"/events/{event['id']}/registrations", json=person(1)).status_code == 201


def test_a_full_event_without_waitlist_refuses_and_with_waitlist_gives_the_position(events_service):
    with events_service.client() as client:
        closed = published_event(client, capacity=1, waitlist=False)
        assert client.post(f"/events/{closed['id']}/registrations", json=person(1)).json()["status"] == "confirmed"
        full = client.post(f"/events/{closed['id']}/registrations", json=person(2))
        assert full.status_code == 409 and "fully booked" in full.json()["message"]

        event = published_event(client, capacity=1)
        statuses = [client.post(f"/events/{event['id']}/registrations", json=person(n)).json() for n in range(3)]
        assert [(s["status"], s["position"]) for s in statuses] == [
            ("confirmed", None),
            ("waitlisted", 1),
            ("waitlisted", 2),
        ]


def test_unlimited_capacity_never_waitlists(events_service):
    with events_service.client() as client:
        event = published_event(client, capacity=None)
        statuses = {
            client.post(f"/events/{event['id']}/registrations", json=person(n)).json()["status"] for n in range(5)
        }
        assert statuses == {"confirmed"} and client.get(f"/events/{event['id']}").json()["places_left"] is None


def test_the_cancel_link_asks_first_then_cancels_and_promotes_the_first_on_the_waitlist(events_service):
    with events_service.client() as client:
        event = published_event(client, capacity=1)
        first, second, third = (
            client.post(f"/events/{event['id']}/registrations", json=person(n)).json() for n in range(3)
        )
        # the mail's link leads to the cancel page on the site (HALLOBOT_SITE_URL); the old API page stays
        assert first["cancel_url"].startswith("http://127.0.0.1:8000/veranstaltungen/abmelden?anmeldung=")
        page = client.get(first["cancel_url"].removeprefix("http://127.0.0.1:8000"))
        assert page.status_code == 200 and "stornieren" in page.text
        old = client.get(f"/registrations/{first['id']}/cancel", params={"token": first["cancel_token"]})
        assert old.status_code == 200 and "stornieren" in old.text
        assert client.get(f"/registrations/{first['id']}").status_code == 401  # no token, no answer
        assert client.post(f"/registrations/{first['id']}/cancel", data={"token": "falsch"}).status_code == 401
        done = client.post(f"/registrations/{first['id']}/cancel", data={"token": first["cancel_token"]})
        assert done.json()["status"] == "cancelled"
        again = client.post(f"/registrations/{first['id']}/cancel", data={"token": first["cancel_token"]})
        assert again.status_code == 200  # a second click changes nothing

        def mine(r):
            return client.get(f"/registrations/{r['id']}", params={"token": r["cancel_token"]}).json()

        assert mine(second)["status"] == "confirmed"
        assert (mine(third)["status"], mine(third)["position"]) == ("waitlisted", 1)
        # an operator may cancel too; the freed place goes to the next
        assert client.delete(f"/registrations/{second['id']}", headers=OPERATOR).json()["status"] == "cancelled"
        assert mine(third)["status"] == "confirmed"
    types = [
        m["type"].removeprefix("de.bottrop.hallobot.")
        for m in _messages(events_service.nats_url, "EVENTS", event["id"], 8)
    ]
    assert types.count("events.registration.promoted") == 2 and types.count("events.registration.cancelled") == 2


def test_more_capacity_promotes_from_the_waitlist_and_less_than_taken_is_refused(events_service):
    with events_service.client() as client:
        event = published_event(client, capacity=1)
        for n in range(3):
            client.post(f"/events/{event['id']}/registrations", json=person(n))
        grown = client.patch(f"/events/{event['id']}", json={"capacity": 2}, headers=OPERATOR).json()
        assert (grown["confirmed"], grown["waitlisted"]) == (2, 1)
        shrink = client.patch(f"/events/{event['id']}", json={"capacity": 1}, headers=OPERATOR)
        assert shrink.status_code == 409 and shrink.json()["field"] == "capacity"


def test_events_carry_no_personal_data_and_the_private_notice_carries_what_a_mail_needs(events_service):
    with events_service.client() as client:
        event = published_event(client, capacity=1)
        confirmed = client.post(
            f"/events/{event['id']}/registrations", json=person(1, organisation="Bäckerei Kamp", language="en")
        ).json()
        client.post(f"/events/{event['id']}/registrations", json=person(2))
    public = _messages(events_service.nats_url, "EVENTS", event["id"], 3)
    text = json.dumps(public)
    assert "person1@example.org" not in text and "Person 1" not in text and "Kamp" not in text
    private = _messages(events_service.nats_url, "PRIVATE", event["id"], 2)
    notice = next(m for m in private if m["data"]["registration_id"] == confirmed["id"])
    assert notice["type"] == "de.bottrop.hallobot.private.events.registration.notice"
    assert notice["data"] | {"starts_at": None, "ends_at": None} == notice["data"] | {
        "kind": "confirmed",
        "email": "person1@example.org",
        "name": "Person 1",
        "language": "en",
        "cancel_url": confirmed["cancel_url"],
        "event_title": event["title"],
        "starts_at": None,
        "ends_at": None,
    }
    assert next(m for m in private if m["data"]["kind"] == "waitlisted")["data"]["position"] == 1


def test_cancelling_an_event_cancels_every_registration_and_tells_everyone(events_service):
    with events_service.client() as client:
        event = published_event(client, capacity=1)
        ids = [client.post(f"/events/{event['id']}/registrations", json=person(n)).json()["id"] for n in range(2)]
        view = client.post(f"/events/{event['id']}/cancel", headers=OPERATOR).json()
        assert (view["status"], view["confirmed"], view["waitlisted"]) == ("cancelled", 0, 0)
    public = _messages(events_service.nats_url, "EVENTS", event["id"], 6)
    cancelled = [m for m in public if m["type"].endswith("registration.cancelled")]
    assert sorted(m["data"]["registration_id"] for m in cancelled) == sorted(ids)
    assert {m["data"]["reason"] for m in cancelled} == {"event_cancelled"}
    assert any(m["type"].endswith("event.cancelled") for m in public)
    private = _messages(events_service.nats_url, "PRIVATE", event["id"], 4)
    assert sorted(m["data"]["registration_id"] for m in private if m["data"]["kind"] == "event_cancelled") == sorted(
        ids
    )


def test_an_operator_exports_the_participants_as_csv(events_service):
    with events_service.client() as client:
        event = published_event(client, capacity=1)
        client.post(f"/events/{event['id']}/registrations", json=person(1, organisation="=HYPERLINK()"))
        client.post(f"/events/{event['id']}/registrations", json=person(2))
        assert client.get(f"/events/{event['id']}/registrations.csv").status_code == 401
        export = client.get(f"/events/{event['id']}/registrations.csv", headers=OPERATOR)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    filename = f"teilnehmende-{event['id']}.csv"
    assert export.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert export.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for German spreadsheet programs
    lines = export.content.decode("utf-8-sig").split("\r\n")
    assert lines[0].startswith("registration_id;status;position;name;email")
    assert ";confirmed;;Person 1;person1@example.org;'=HYPERLINK();" in lines[1]
    assert ";waitlisted;1;Person 2;" in lines[2]
