"""A rush of concurrent registrations against a real service process, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import httpx
import nats

from tests.events.conftest import OPERATOR, person, published_event
from tests.support.stream import stream_messages


async def _rush(url: str, event_id: str, n: int) -> list[dict]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *(client.post(f"/events/{event_id}/registrations", json=person(i)) for i in range(n))
        )
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201][:3]
    return [r.json() for r in responses]


async def _stream_payloads(nats_url: str, stream: str, event_id: str) -> list[dict]:
    nc = await nats.connect(nats_url)
    try:
        messages = await stream_messages(nc.jetstream(), stream)
    finally:
        await nc.close()
    bodies = [json.loads(m.data) for m in messages]
    return [b for b in bodies if b["data"].get("event_id") == event_id]


def test_200_concurrent_registrations_for_20_places_confirm_exactly_20_and_waitlist_180_in_order(
    events_service_any_db,
):
    service = events_service_any_db
    with service.client() as client:
        event = published_event(client, capacity=20)
    results = asyncio.run(_rush(service.url, event["id"], 200))

    confirmed = [r for r in results if r["status"] == "confirmed"]
    waitlisted = sorted((r for r in results if r["status"] == "waitlisted"), key=lambda r: r["position"])
    assert len(confirmed) == 20 and len(waitlisted) == 180
    assert [r["position"] for r in waitlisted] == list(range(1, 181))

    with service.client() as client:
        view = client.get(f"/events/{event['id']}").json()
        assert (view["confirmed"], view["waitlisted"], view["places_left"]) == (20, 180, 0)
        # the waitlist order the service keeps is the order the positions promised
        rows = client.get(f"/events/{event['id']}/registrations.csv", headers=OPERATOR).text.splitlines()[1:]
        kept = [line.split(";")[0] for line in rows if ";waitlisted;" in line]
        assert kept == [r["id"] for r in waitlisted]

        # a cancellation promotes exactly one: the first on the waitlist
        first = confirmed[0]
        cancelled = client.post(
            f"/registrations/{first['id']}/cancel", headers={"Authorization": f"Bearer {first['cancel_token']}"}
        )
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        head = waitlisted[0]
        assert (
            client.get(f"/registrations/{head['id']}", params={"token": head["cancel_token"]}).json()["status"]
            == "confirmed"
        )
        second = client.get(
            f"/registrations/{waitlisted[1]['id']}", params={"token": waitlisted[1]["cancel_token"]}
        ).json()
        assert second == second | {"status": "waitlisted", "position": 1}
        view = client.get(f"/events/{event['id']}").json()
        assert (view["confirmed"], view["waitlisted"]) == (20, 179)

    async def published():
        for _ in range(100):
            payloads = await _stream_payloads(service.nats_url, "EVENTS", event["id"])
            if len(payloads) >= 203:
                return payloads
            await asyncio.sleep(0.1)
        return payloads

    payloads = asyncio.run(published())
    kinds = [p["type"].removeprefix("de.bottrop.hallobot.") for p in payloads]
    assert kinds.count("events.registration.confirmed") == 20
    assert kinds.count("events.registration.waitlisted") == 180
    assert kinds.count("events.registration.promoted") == 1
    assert kinds.count("events.registration.cancelled") == 1
    promoted = next(p for p in payloads if p["type"].endswith("registration.promoted"))
    assert promoted["data"]["registration_id"] == head["id"]
