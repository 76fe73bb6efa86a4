"""The service runs its erasure job by itself: a real process with a short job interval."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.events.conftest import OPERATOR, event_body, person, start_events


@pytest.fixture
def eager_service(events_nats, tmp_path):
    process = start_events(
        events_nats.url,
        f"sqlite:///{tmp_path / 'events.sqlite3'}",
        tmp_path,
        EVENTS_ERASE_AFTER_DAYS="0",
        EVENTS_JOB_INTERVAL_S="0.2",
    )
    yield process
    process.kill()


def test_the_running_service_erases_personal_data_once_the_erasure_period_is_over(eager_service):
    import httpx

    now = datetime.now(UTC)
    with httpx.Client(base_url=eager_service.url, timeout=10) as client:
        event = client.post(
            "/events",
            headers=OPERATOR,
            json=event_body(
                starts_at=(now + timedelta(seconds=2)).isoformat(), ends_at=(now + timedelta(seconds=3)).isoformat()
            ),
        ).json()
        client.post(f"/events/{event['id']}/publish", headers=OPERATOR)
        assert client.post(f"/events/{event['id']}/registrations", json=person(1)).status_code == 201
        deadline = time.monotonic() + 15
        export = ""
        while time.monotonic() < deadline:
            export = client.get(f"/events/{event['id']}/registrations.csv", headers=OPERATOR).text
            if "person1@example.org" not in export:
                break
            time.sleep(0.2)
        assert "person1@example.org" not in export and ";confirmed;" in export
        assert client.get(f"/events/{event['id']}").json()["confirmed"] == 1
