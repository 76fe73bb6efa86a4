"""What an operator watches (#18), read from a real notifications process as Prometheus and a log
shipper would: its internal /metrics, parsed with prometheus_client's text parser, and its JSON log
lines. One stack for the module: nats-server, an SMTP server, a webhook endpoint, the service."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hallobot.ports import free_port
from tests.notifications.conftest import AUTH, deliveries, publish, service_env, start_service, until
from tests.notifications.test_email import notice, status_change
from tests.notifications.test_webhooks import Receiver
from tests.support.nats import running_nats
from tests.support.smtp import SmtpServer

SECRET_QUERY = "tok-0123456789-do-not-log"


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="module")
def notifications(nats_server, smtp, tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("signals")
    env = service_env(nats_server.url, smtp.port, tmp_dir / "var") | {
        "HALLOBOT_INTERNAL_PORT": str(free_port()),
        "HALLOBOT_CONSUMER_LAG_INTERVAL_S": "0.3",
        "HALLOBOT_TRUSTED_PROXIES": "127.0.0.1",  # the test stands in for the front door
    }
    service = start_service(env, tmp_dir)
    yield service
    service.kill()


def metrics(service) -> dict[tuple[str, frozenset], float]:
    """Every sample of the service's /metrics: (name, labels) → value."""
    text = httpx.get(f"http://127.0.0.1:{service.env['HALLOBOT_INTERNAL_PORT']}/metrics", timeout=5).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(process, name: str, **labels) -> float | None:
    return metrics(process).get((name, frozenset(labels.items())))


def log_lines(service) -> list[dict]:
    return [json.loads(line) for line in service.log_path.read_text().splitlines() if line.startswith("{")]


async def test_a_paused_consumer_shows_its_backlog_and_none_once_it_catches_up(notifications, nats_server, nc):
    durable = "notifications-wifi"
    api = f"$JS.API.CONSUMER.PAUSE.WIFI.{durable}"
    paused = json.loads((await nc.request(api, b'{"pause_until": "2100-01-01T00:00:00Z"}', timeout=5)).data)
    assert paused.get("paused") is True, paused
    for _ in range(3):
        await publish(nc, status_change(status="degraded"))

    def pending():
        return value(notifications, "hallobot_consumer_pending_messages", service="notifications", consumer=durable)

    assert await until(lambda: pending() == 3, timeout=10), pending()
    acked = value(notifications, "hallobot_consumer_ack_pending_messages", service="notifications", consumer=durable)
    assert acked == 0

    resumed = json.loads((await nc.request(api, b"{}", timeout=5)).data)
    assert resumed.get("paused") is False, resumed
    assert await until(lambda: pending() == 0, timeout=15), pending()

    def handled():
        return value(notifications, "hallobot_consumer_messages_total", consumer=durable, outcome="ok")

    assert await until(lambda: handled() == 3), handled()


async def test_access_lines_carry_the_request_id_of_the_answer_and_never_the_query_string(notifications):
    answer = httpx.get(
        f"{notifications.url}/subscriptions",
        params={"channel": "webhook", "token": SECRET_QUERY},
        headers=AUTH | {"X-Forwarded-For": "203.0.113.9"},
    )
    assert answer.status_code == 200
    request_id = answer.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id

    from_front_door = "0f8fad5b-d9cb-469f-a165-70867728950e"  # Caddy's {http.request.uuid}
    echoed = httpx.get(f"{notifications.url}/subscriptions", headers=AUTH | {"X-Request-ID": from_front_door})
    assert echoed.headers["x-request-id"] == from_front_door
    made_up = httpx.get(f"{notifications.url}/nirgends", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert made_up.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", made_up.headers["x-request-id"])

    await asyncio.sleep(0.2)
    access = {line["request_id"]: line for line in log_lines(notifications) if line["logger"] == "hallobot.access"}
    line = access[request_id]
    assert line["level"] == "INFO" and line["service"] == "notifications"
    assert (line["method"], line["path"], line["route"], line["status"]) == (
        "GET",
        "/subscriptions",
        "/subscriptions",
        200,
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["client"] == "203.0.113.9"  # X-Forwarded-For of a trusted proxy (shared/client_address.py)
    assert access[from_front_door]["client"] == "127.0.0.1"
    assert access[made_up.headers["x-request-id"]]["route"] == "unmatched"
    assert SECRET_QUERY not in notifications.log_path.read_text()
    assert not [line for line in access.values() if line["path"] in ("/readyz", "/healthz")], "probes are DEBUG"


async def test_a_line_written_inside_a_route_carries_the_request_id_of_its_answer(notifications):
    answer = httpx.post(f"{notifications.url}/webhook-allowlist", json={"entry": "127.0.0.1"}, headers=AUTH)
    assert answer.status_code == 201
    request_id = answer.headers["x-request-id"]
    await asyncio.sleep(0.2)
    mine = [line for line in log_lines(notifications) if line.get("request_id") == request_id]
    assert [line["logger"] for line in mine] == ["hallobot.notifications.operators", "hallobot.access"], mine
    assert mine[0]["message"] == "webhook allowlist entry added" and mine[0]["actor"] == "bootstrap"
    (started,) = [line for line in log_lines(notifications) if line["message"].startswith("internal listener on")]
    assert "request_id" not in started, "a line outside any request carries none"


async def test_mail_and_webhook_outcomes_and_the_outbox_backlog_are_counted(
    notifications, nats_server, nc, smtp, receiver
):
    def outcome(channel, name):
        return value(notifications, "hallobot_deliveries_total", channel=channel, outcome=name)

    await publish(nc, notice("r-signals", email="metrik@example.org"))
    assert await until(lambda: smtp.to("metrik@example.org"))
    assert await until(lambda: outcome("email", "sent") == 1), outcome("email", "sent")

    # An endpoint that keeps failing (503): tried 3 times (NOTIFICATIONS_WEBHOOK_DISABLE_AFTER), then
    # disabled, and its delivery dead.
    receiver.status = 503
    httpx.post(f"{notifications.url}/webhook-allowlist", json={"entry": "127.0.0.1"}, headers=AUTH)  # (again)
    created = httpx.post(
        f"{notifications.url}/subscriptions",
        headers=AUTH,
        json={"channel": "webhook", "url": receiver.url, "topics": ["wifi.hotspot.status_changed"]},
    ).json()
    await publish(nc, status_change(status="down"))
    assert await until(lambda: outcome("webhook", "dead") == 1, timeout=20), outcome("webhook", "dead")
    assert (outcome("webhook", "failed"), outcome("webhook", "retried"), outcome("webhook", "sent")) == (3, 2, None)
    assert outcome("email", "failed") is None

    # Every delivery's outcome went out through the outbox: nothing waits.
    age = "hallobot_outbox_oldest_pending_age_seconds"
    assert await until(lambda: value(notifications, "hallobot_outbox_pending", service="notifications") == 0)
    assert value(notifications, age, service="notifications") == 0
    assert value(notifications, "hallobot_outbox_published_total", service="notifications") >= 2

    # The broker away: the replayed delivery's "sent" waits in the outbox, and its age grows.
    nats_server.stop()
    try:
        receiver.status = 204
        assert httpx.post(f"{notifications.url}/subscriptions/{created['id']}/enable", headers=AUTH).status_code == 200
        (dead,) = deliveries(notifications, channel="webhook", status="dead")
        assert httpx.post(f"{notifications.url}/deliveries/{dead['id']}/replay", headers=AUTH).status_code == 200
        assert await until(lambda: outcome("webhook", "sent") == 1, timeout=15)
        assert await until(lambda: (value(notifications, age, service="notifications") or 0) > 1.0, timeout=15)
        assert value(notifications, "hallobot_outbox_pending", service="notifications") >= 1
    finally:
        nats_server.start()
    assert await until(lambda: value(notifications, age, service="notifications") == 0, timeout=30)
    assert value(notifications, "hallobot_outbox_pending", service="notifications") == 0
    # Requests, counted by route template and status class, and timed.
    route = {"service": "notifications", "route": "/subscriptions", "method": "GET"}
    before = value(notifications, "hallobot_http_requests_total", **route, status="2xx") or 0
    assert httpx.get(f"{notifications.url}/subscriptions", headers=AUTH).status_code == 200
    assert httpx.get(f"{notifications.url}/gibt/es/nicht?token=x").status_code == 404
    assert value(notifications, "hallobot_http_requests_total", **route, status="2xx") == before + 1
    assert value(notifications, "hallobot_http_request_seconds_count", **route) == before + 1
    unmatched = {"service": "notifications", "route": "unmatched", "method": "GET", "status": "4xx"}
    assert value(notifications, "hallobot_http_requests_total", **unmatched) >= 1
