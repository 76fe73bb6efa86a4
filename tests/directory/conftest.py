"""The directory service as a real process (`hallobot serve directory`) on a real nats-server, reached
over real HTTP; one process per module (start-up costs seconds), fresh profiles per test. Events are read
back from JetStream. Registrations carry a random X-Forwarded-For (loopback is a trusted proxy here) so
that the per-client registration limit of one test does not spill into another."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import httpx
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from tests.support.nats import running_nats
from tests.support.postgres import database_of_kind
from tests.support.services import ServiceProcess, started

OPERATOR_TOKEN = "directory-test-operator-token-1"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
FAST_ENV = {
    "HALLOBOT_OPERATOR_TOKEN": OPERATOR_TOKEN,
    "HALLOBOT_RELAY_POLL_INTERVAL_S": "0.1",
    "HALLOBOT_LOG_LEVEL": "WARNING",
    "HALLOBOT_TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
    "DIRECTORY_REGISTRATION_LIMIT": "3",
    "DIRECTORY_REGISTRATION_WINDOW_S": "600",
}


@dataclass
class Directory:
    url: str
    nats_url: str
    database_url: str
    process: ServiceProcess

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=15)


def start_directory(nats_url: str, database_url: str, tmp_dir, **env) -> Directory:
    service_env = {
        "NATS_URL": nats_url,
        "HALLOBOT_DATA_DIR": str(tmp_dir / "var"),
        "DIRECTORY_DATABASE_URL": database_url,
    }
    process = started("directory", {**FAST_ENV, **service_env, **env}, tmp_dir)
    return Directory(process.url, nats_url, database_url, process)


@pytest.fixture(scope="module")
def directory_nats(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def directory(directory_nats, tmp_path_factory):
    """The service on SQLite, for behaviour that does not depend on the database."""
    tmp_dir = tmp_path_factory.mktemp("directory")
    service = start_directory(directory_nats.url, f"sqlite:///{tmp_dir / 'directory.sqlite3'}", tmp_dir)
    yield service
    service.process.kill()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def directory_any_db(request, directory_nats, tmp_path_factory):
    """The service on SQLite and on PostgreSQL (search differs between them)."""
    tmp_dir = tmp_path_factory.mktemp(f"directory-{request.param}")
    with database_of_kind(request, request.param, tmp_dir, "directory") as url:
        service = start_directory(directory_nats.url, url, tmp_dir)
        try:
            yield service
        finally:
            service.process.kill()


def anonymous() -> dict:
    return {"X-Forwarded-For": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"}


def owner(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def profile(**overrides) -> dict:
    body = {
        "name": "Bäckerei Beispiel",
        "category": "einzelhandel",
        "description": "Handwerksbäckerei mit Brot, Brötchen und Kuchen aus eigener Backstube.",
        "offerings": ["Brot", "Kuchen", "Kaffee"],
        "email": "info@baeckerei-beispiel.de",
        "phone": "02041 123456",
        "website": "https://baeckerei-beispiel.de/",
        "street": "Hochstraße 1",
        "postal_code": "46236",
        "latitude": 51.5236,
        "longitude": 6.9290,
        "opening_hours": "Mo-Fr 07:00-18:00; Sa 07:00-13:00; PH off",
        "pickup": True,
        "accepts_gutschein": True,
        "fairtrade_products": 0,
        "owner_email": "inhaberin@example.org",
    }
    return body | overrides


def register(client: httpx.Client, **overrides) -> dict:
    response = client.post("/businesses", json=profile(**overrides), headers=anonymous())
    assert response.status_code == 201, response.text
    return response.json()


def published(client: httpx.Client, **overrides) -> dict:
    created = register(client, **overrides)
    response = client.post(f"/businesses/{created['id']}/publish", headers=OPERATOR)
    assert response.status_code == 200, response.text
    return created


async def stream_bodies(nats_url: str, stream: str, subject: str = ">") -> list[dict]:
    """Every message on `subject` in `stream` so far, in stream order."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        pull = await js.pull_subscribe(
            subject, stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=10)
        )
        pending = (await pull.consumer_info()).num_pending
        bodies = []
        while len(bodies) < pending:
            for msg in await pull.fetch(min(200, pending - len(bodies)), timeout=5):
                await msg.ack()
                bodies.append(json.loads(msg.data) | {"_subject": msg.subject})
        await pull.unsubscribe()
        return bodies
    finally:
        await client.close()


async def events_of(nats_url: str, stream: str, subject: str, expected: int, timeout: float = 10.0) -> list[dict]:
    """Poll until `expected` events are on `subject` (or the time is up), then wait a little for extras."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    bodies = await stream_bodies(nats_url, stream, subject)
    while len(bodies) < expected and loop.time() < deadline:
        await asyncio.sleep(0.1)
        bodies = await stream_bodies(nats_url, stream, subject)
    await asyncio.sleep(0.3)  # room for a wrong extra event to show up
    return await stream_bodies(nats_url, stream, subject)
