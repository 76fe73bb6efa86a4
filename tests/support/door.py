"""An event under way for the journeys at the door: created and published through the events API with
the operator token, `people` registered, then moved to have begun a minute ago (registration is only
open before the start, check-in only on the day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.support.system import OPERATOR


def event_under_way(events_api: str, people: int, **fields: str) -> str:
    """The new event's id; `fields` (title, venue, series) override the defaults."""
    body = {
        "title": "Handwerker-Frühstück an der Tür",
        "starts_at": "2031-06-12T08:00:00",
        "ends_at": "2031-06-12T10:00:00",
        "venue": "Bäckerei Kamp, Hochstraße 1",
        "capacity": people,
        **fields,
    }
    with httpx.Client(base_url=events_api, headers=OPERATOR, timeout=30) as api:
        event_id = api.post("/events", json=body).json()["id"]
        assert api.post(f"/events/{event_id}/publish").status_code == 200
        for n in range(people):
            person = {"name": f"Gast Nummer {n}", "email": f"gast{n}-{event_id}@example.org", "consent": True}
            assert api.post(f"/events/{event_id}/registrations", json=person).status_code == 201
        now = datetime.now(UTC)
        times = {
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        }
        assert api.patch(f"/events/{event_id}", json=times).status_code == 200
    return event_id
