"""The wifi service as a real process (`hallobot serve wifi`) on a real nats-server and SQLite, with
short timeouts so that silence, tolerance and maintenance play out in seconds."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from tests.support.databases import migrated
from tests.support.nats import running_nats
from tests.support.services import ServiceProcess

OPERATOR = "test-operator-token-123456"
HEARTBEAT_S = 1.5
FAST_ENV = {
    "HALLOBOT_OPERATOR_TOKEN": OPERATOR,
    "WIFI_HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_S),
    "WIFI_CHECK_INTERVAL_S": "0.1",
    "WIFI_CONFIRM_REPORTS": "3",
    "WIFI_INCIDENT_WINDOW_S": "0.5",
    "HALLOBOT_RELAY_POLL_INTERVAL_S": "0.1",
    "HALLOBOT_CONSUMER_BACKOFF_S": "[0.1]",
}


def start_wifi(nats_url: str, tmp_path, **env) -> ServiceProcess:
    service = ServiceProcess(
        "wifi", {**FAST_ENV, "NATS_URL": nats_url, "HALLOBOT_DATA_DIR": str(tmp_path / "var"), **env}, tmp_path
    )
    service.start().wait_ready()
    return service


@pytest.fixture
async def db(database_url):
    """The wifi database at its Alembic head, on SQLite and PostgreSQL."""
    async with migrated("wifi", database_url) as database:
        yield database


@pytest.fixture(scope="module")
def wifi_nats(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def wifi(wifi_nats, tmp_path_factory):
    service = start_wifi(wifi_nats.url, tmp_path_factory.mktemp("wifi"))
    yield service
    service.kill()


@pytest.fixture
async def http(wifi):
    async with httpx.AsyncClient(base_url=wifi.url, timeout=10) as client:
        yield client


def site(name: str = "Pferdemarkt") -> dict:
    return {
        "site_name": name,
        "host_business": "Eiscafé Pferdemarkt",
        "address": "Pferdemarkt 3, 46236 Bottrop",
        "latitude": 51.5226,
        "longitude": 6.9261,
        "ap_model": "Ubiquiti U6 Mesh",
        "ap_serial": "U6M-0001",
        "ap_mac": "74:83:C2:00:00:01",
        "placement": "outdoor",
        "report_interval_s": 1,
    }


def report(uplink_ok: bool = True, backhaul: float | None = 100.0, **extra) -> dict:
    return {
        "timestamp": datetime.now(UTC).isoformat(),
        "uplink_ok": uplink_ok,
        "clients": 4,
        "backhaul_mbps": backhaul,
        **extra,
    }


async def create_hotspot(http: httpx.AsyncClient, name: str = "Pferdemarkt") -> tuple[str, str]:
    response = await http.post("/hotspots", json=site(name), headers={"Authorization": f"Bearer {OPERATOR}"})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["host_token"]


async def post_report(http: httpx.AsyncClient, hotspot_id: str, token: str, body: dict | None = None) -> httpx.Response:
    return await http.post(
        f"/hotspots/{hotspot_id}/reports", json=body or report(), headers={"Authorization": f"Bearer {token}"}
    )


async def stream_bodies(nats_url: str, stream: str, subject: str) -> list[dict]:
    """Every message on `subject` in `stream` so far (an ephemeral consumer that reads until a pause)."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        pull = await js.pull_subscribe(
            subject, stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=10)
        )
        bodies = []
        while True:
            try:
                msgs = await pull.fetch(100, timeout=0.3)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            for msg in msgs:
                await msg.ack()
                bodies.append(json.loads(msg.data))
        await pull.unsubscribe()
        return bodies
    finally:
        await client.close()


async def wifi_events(nats_url: str, subject: str) -> list[dict]:
    return await stream_bodies(nats_url, "WIFI", subject)


async def status_changes(nats_url: str, hotspot_id: str) -> list[tuple]:
    events = await wifi_events(nats_url, f"hallobot.wifi.hotspot.status_changed.{hotspot_id}")
    return [(e["data"]["previous"], e["data"]["status"]) for e in events]


async def eventually_equal(produce, expected, timeout: float = 8.0):
    """Poll `produce()` until it returns `expected` (or the time is up); return the last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = await produce()
    while value != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        value = await produce()
    return value
