"""The events service as a real process (`hallobot serve events`) on a real nats-server, reached
over real HTTP; one service per module and database kind, each test makes its own events."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.support.nats import running_nats
from tests.support.postgres import database_of_kind
from tests.support.services import ServiceProcess, started

OPERATOR_TOKEN = "events-test-operator-token-123"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@dataclass
class EventsService:
    url: str
    nats_url: str
    database_url: str
    process: ServiceProcess

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)


@pytest.fixture(scope="module")
def events_nats(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


def start_events(nats_url: str, database_url: str, tmp_dir, **env) -> ServiceProcess:
    service_env = {
        "NATS_URL": nats_url,
        "HALLOBOT_DATA_DIR": str(tmp_dir / "var"),
        "EVENTS_DATABASE_URL": database_url,
        "HALLOBOT_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "HALLOBOT_RELAY_POLL_INTERVAL_S": "0.2",
        "HALLOBOT_LOG_LEVEL": "WARNING",
        "EVENTS_REGISTRATION_LIMIT": "100000",  # every test registers from one address
    }
    return started("events", {**service_env, **env}, tmp_dir, public_url_var="EVENTS_PUBLIC_URL")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def events_service_any_db(request, events_nats, tmp_path_factory):
    """The service on SQLite and on PostgreSQL."""
    tmp_dir = tmp_path_factory.mktemp(f"events-{request.param}")
    with database_of_kind(request, request.param, tmp_dir, "events") as url:
        process = start_events(events_nats.url, url, tmp_dir)
        try:
            yield EventsService(process.url, events_nats.url, url, process)
        finally:
            process.kill()


@pytest.fixture(scope="module")
def events_service(events_nats, tmp_path_factory):
    """The service on SQLite, for the behaviour that does not depend on the database."""
    tmp_dir = tmp_path_factory.mktemp("events")
    url = f"sqlite:///{tmp_dir / 'events.sqlite3'}"
    process = start_events(events_nats.url, url, tmp_dir)
    try:
        yield EventsService(process.url, events_nats.url, url, process)
    finally:
        process.kill()


def event_body(**overrides) -> dict:
    body = {
        "title": "Digitalisierung im Handwerk",
        "series": "Workshopreihe Digitalisierung",
        "description": "Workshop",
        "starts_at": "2031-03-10T18:00:00",
        "ends_at": "2031-03-10T20:00:00",
        "venue": "Rathaus Bottrop, Kulturzentrum",
        "capacity": 20,
        "waitlist": True,
    }
    return body | overrides


def published_event(client: httpx.Client, **overrides) -> dict:
    created = client.post("/events", json=event_body(**overrides), headers=OPERATOR)
    assert created.status_code == 201, created.text
    published = client.post(f"/events/{created.json()['id']}/publish", headers=OPERATOR)
    assert published.status_code == 200, published.text
    return published.json()


def person(n: int, **overrides) -> dict:
    return {"name": f"Person {n}", "email": f"person{n}@example.org", "consent": True} | overrides
