"""Floods are cut off per client, not per proxy; limits hold across instances; forged forwarding is
ignored; a mailbox is not bombed; hosts cannot pile up reports (docs/security/abuse.md).

Real processes (`hallobot serve`) on a real nats-server, where the shared counts live, a real SMTP
server, real HTTP. Loopback is the trusted proxy where a test needs many clients (each request then
names its client in X-Forwarded-For, as the city's proxy would); the directory runs without any.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest
from nats.js.errors import NotFoundError

from tests.support.nats import running_nats
from tests.support.services import started
from tests.support.smtp import SmtpServer
from tests.support.stream import eventually

OPERATOR_TOKEN = "abuse-test-operator-token-0123"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
LIMIT = 5
BEHIND_PROXY = {"HALLOBOT_TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}
_clients = itertools.count(1)


def new_client() -> dict[str, str]:
    """A citizen the proxy has not seen before (TEST-NET-2), as the proxy forwards it."""
    n = next(_clients)
    return {"X-Forwarded-For": f"198.51.{n // 256 % 256}.{n % 256}"}


@pytest.fixture(scope="module")
def abuse_nats(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


def base_env(nats_url: str, data_dir) -> dict[str, str]:
    return {
        "NATS_URL": nats_url,
        "HALLOBOT_DATA_DIR": str(data_dir),
        "HALLOBOT_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "HALLOBOT_LOG_LEVEL": "WARNING",
        "HALLOBOT_RELAY_POLL_INTERVAL_S": "0.1",
    }


@pytest.fixture(scope="module")
def events(abuse_nats, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("events")
    env = {**base_env(abuse_nats.url, tmp / "var"), **BEHIND_PROXY, "EVENTS_REGISTRATION_LIMIT": str(LIMIT)}
    service = started("events", env, tmp, public_url_var="EVENTS_PUBLIC_URL")
    yield service
    service.kill()


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def notifications(abuse_nats, smtp, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notifications")
    env = {
        **base_env(abuse_nats.url, tmp / "var"),
        **BEHIND_PROXY,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "NOTIFICATIONS_SENDER_POLL_S": "0.1",
        "NOTIFICATIONS_SECRET_KEY": "abuse-test-secret-key-0123456789",
        "NOTIFICATIONS_SUBSCRIPTION_LIMIT": str(LIMIT),
        "NOTIFICATIONS_CONFIRMATION_WINDOW_S": "600",
    }
    service = started("notifications", env, tmp, public_url_var="HALLOBOT_SITE_URL")
    yield service
    service.kill()


def start_directories(nats_url: str, tmp_path_factory, names: tuple[str, ...]) -> list:
    """Instances of the directory, each on its own database: all they share is NATS, and no proxy is
    trusted (HALLOBOT_TRUSTED_PROXIES unset), so every request here comes from 127.0.0.1."""
    instances = []
    for name in names:
        tmp = tmp_path_factory.mktemp(f"directory-{name}")
        env = {**base_env(nats_url, tmp / "var"), "DIRECTORY_REGISTRATION_LIMIT": "3"}
        instances.append(started("directory", env, tmp))
    return instances


@pytest.fixture(scope="module")
def directories(abuse_nats, tmp_path_factory):
    instances = start_directories(abuse_nats.url, tmp_path_factory, ("a", "b"))
    yield instances
    for instance in instances:
        instance.kill()


@pytest.fixture(scope="module")
def lone_directory(abuse_nats, tmp_path_factory):
    """A third instance: the others remember in process that 127.0.0.1's window is full."""
    (instance,) = start_directories(abuse_nats.url, tmp_path_factory, ("c",))
    yield instance
    instance.kill()


def published_event(events, places: int = 100) -> str:
    body = {
        "title": "Gründerfrühstück",
        "starts_at": "2040-05-04T09:00:00",
        "ends_at": "2040-05-04T11:00:00",
        "venue": "Rathaus",
        "capacity": places,
        "waitlist": True,
    }
    event_id = httpx.post(f"{events.url}/events", json=body, headers=OPERATOR).json()["id"]
    assert httpx.post(f"{events.url}/events/{event_id}/publish", headers=OPERATOR).status_code == 200
    return event_id


def register(events, event_id: str, n: int, headers: dict[str, str]) -> httpx.Response:
    body = {"name": f"Person {n}", "email": f"person{n}@example.org", "consent": True}
    return httpx.post(f"{events.url}/events/{event_id}/registrations", json=body, headers=headers, timeout=15)


def assert_cut_off(answer: httpx.Response, limit_name: str, window_s: float) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert limit_name in answer.json()["message"]
    assert 1 <= int(answer.headers["Retry-After"]) <= window_s


def test_a_registration_flood_from_one_client_is_cut_off_with_429_naming_the_limit(events):
    event_id, one_client = published_event(events), new_client()
    answers = [register(events, event_id, n, one_client) for n in range(LIMIT + 7)]
    assert [a.status_code for a in answers[:LIMIT]] == [201] * LIMIT
    for answer in answers[LIMIT:]:
        assert_cut_off(answer, "events-registrations-per-client", 3600)
    view = httpx.get(f"{events.url}/events/{event_id}").json()
    assert view["confirmed"] == LIMIT, "a refused registration must not take a place"


async def test_a_rush_from_many_clients_behind_the_trusted_proxy_is_not_limited(events):
    event_id = published_event(events, places=50)
    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{events.url}/events/{event_id}/registrations",
                    json={"name": f"Citizen {n}", "email": f"citizen{n}@example.org", "consent": True},
                    headers=new_client(),
                )
                for n in range(4 * LIMIT)
            )
        )
    assert [a.status_code for a in answers] == [201] * (4 * LIMIT)


def subscribe(notifications, email: str, headers: dict[str, str]) -> httpx.Response:
    body = {"email": email, "topics": ["events.event.published"]}
    return httpx.post(f"{notifications.url}/subscriptions", json=body, headers=headers, timeout=15)


def test_a_subscription_flood_from_one_client_is_cut_off(notifications):
    one_client = new_client()
    answers = [subscribe(notifications, f"flood{n}@example.org", one_client) for n in range(LIMIT + 5)]
    assert [a.status_code for a in answers[:LIMIT]] == [202] * LIMIT
    for answer in answers[LIMIT:]:
        assert_cut_off(answer, "notifications-subscriptions-per-client", 3600)


def test_subscriptions_from_many_clients_are_not_limited(notifications):
    answers = [subscribe(notifications, f"many{n}@example.org", new_client()) for n in range(3 * LIMIT)]
    assert [a.status_code for a in answers] == [202] * (3 * LIMIT)


async def test_ten_subscriptions_for_one_address_send_one_confirmation_mail(notifications, smtp):
    victim = "victim@example.org"
    answers = [subscribe(notifications, victim, new_client()) for _ in range(10)]
    assert [a.status_code for a in answers] == [202] * 10
    # The same answer every time: it does not tell whether a mail went out.
    assert {(a.json()["status"], a.json()["channel"]) for a in answers} == {("pending", "email")}
    assert await eventually(lambda: _async(smtp.to(victim)), timeout=20)
    # A later request's mail arrives; by then a second mail to the victim would have, too.
    assert subscribe(notifications, "marker@example.org", new_client()).status_code == 202
    assert await eventually(lambda: _async(smtp.to("marker@example.org")), timeout=20)
    await asyncio.sleep(1.0)
    assert len(smtp.to(victim)) == 1


async def _async(value):
    return value


async def purge_directory_limits(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().purge_stream("KV_RATELIMIT_DIRECTORY")
    except NotFoundError:
        pass  # no count yet
    finally:
        await nc.close()


def business(n: int) -> dict:
    return {"name": f"Laden {n}", "category": "einzelhandel", "latitude": 51.52, "longitude": 6.93}


async def test_the_limit_holds_across_two_processes_of_the_service(directories, abuse_nats):
    await purge_directory_limits(abuse_nats.url)
    a, b = directories
    answers = [
        httpx.post(f"{instance.url}/businesses", json=business(n), timeout=15)
        for n, instance in enumerate([a, b, a, b, a, b])
    ]
    assert [x.status_code for x in answers[:3]] == [201] * 3
    for answer in answers[3:]:
        assert_cut_off(answer, "directory-self-registrations-per-client", 3600)


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(lone_directory, abuse_nats):
    await purge_directory_limits(abuse_nats.url)
    a = lone_directory
    answers = [httpx.post(f"{a.url}/businesses", json=business(n), headers=new_client(), timeout=15) for n in range(5)]
    # Each request claimed another address; the peer is loopback, which nobody configured as a proxy.
    assert [x.status_code for x in answers] == [201, 201, 201, 429, 429]


@pytest.fixture(scope="module")
def wifi(abuse_nats, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wifi")
    env = {**base_env(abuse_nats.url, tmp / "var"), "WIFI_REPORT_LIMIT": str(LIMIT), "WIFI_MAX_REPORT_AGE_S": "86400"}
    service = started("wifi", env, tmp)
    yield service, tmp / "var" / "wifi.sqlite3"
    service.kill()


def hotspot(wifi_url: str, name: str) -> tuple[str, str]:
    body = {
        "site_name": name,
        "host_business": "Eiscafé",
        "address": "Pferdemarkt 3, 46236 Bottrop",
        "latitude": 51.52,
        "longitude": 6.93,
        "ap_model": "U6",
        "ap_serial": name,
        "ap_mac": "74:83:C2:00:00:01",
        "placement": "outdoor",
    }
    created = httpx.post(f"{wifi_url}/hotspots", json=body, headers=OPERATOR).json()
    return created["id"], created["host_token"]


def report(at: datetime) -> dict:
    return {"timestamp": at.isoformat(), "uplink_ok": True, "clients": 2, "backhaul_mbps": 100.0}


def stored_reports(database, hotspot_id: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM reports WHERE hotspot_id = ?", (hotspot_id,)).fetchone()[0]


def test_a_host_cannot_store_reports_older_than_the_sane_age(wifi):
    service, _ = wifi
    hotspot_id, token = hotspot(service.url, "Altmarkt")
    old = datetime.now(UTC) - timedelta(days=2)
    answer = httpx.post(
        f"{service.url}/hotspots/{hotspot_id}/reports", json=report(old), headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and answer.json()["field"] == "timestamp"


def test_a_host_flooding_back_dated_reports_over_http_is_cut_off(wifi):
    service, database = wifi
    hotspot_id, token = hotspot(service.url, "Kirchplatz")
    start = datetime.now(UTC) - timedelta(hours=5)
    answers = [
        httpx.post(
            f"{service.url}/hotspots/{hotspot_id}/reports",
            json=report(start + timedelta(seconds=n)),
            headers={"Authorization": f"Bearer {token}"},
        )
        for n in range(LIMIT + 4)
    ]
    assert [a.status_code for a in answers[:LIMIT]] == [202] * LIMIT
    for answer in answers[LIMIT:]:
        assert_cut_off(answer, "wifi-reports-per-hotspot", 3600)
    assert stored_reports(database, hotspot_id) == LIMIT


async def test_reports_over_the_hotspot_limit_on_nats_are_not_stored(wifi, abuse_nats):
    service, database = wifi
    hotspot_id, token = hotspot(service.url, "Berliner Platz")
    start = datetime.now(UTC) - timedelta(hours=3)
    nc = await nats.connect(abuse_nats.url)
    try:
        js = nc.jetstream()
        for n in range(4 * LIMIT):
            payload = json.dumps(report(start + timedelta(seconds=n))).encode()
            await js.publish(
                f"hallobot.wifi.reports.{hotspot_id}", payload, headers={"Authorization": f"Bearer {token}"}
            )
        assert await eventually(lambda: _all_taken(js), timeout=20)
    finally:
        await nc.close()
    assert stored_reports(database, hotspot_id) == LIMIT


async def _all_taken(js) -> bool:
    consumer = await js.consumer_info("WIFI_REPORTS", "wifi-reports")
    return consumer.num_pending == 0 and consumer.num_ack_pending == 0
