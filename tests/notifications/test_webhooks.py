"""Webhooks: structured CloudEvents signed per Standard Webhooks, checked with the official client
libraries; private targets only when allowlisted, disable on persistent failure."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook, WebhookVerificationError

from shared.catalog import HotspotStatusChanged
from shared.envelope import utcnow
from tests.notifications.conftest import AUTH, deliveries, publish, until
from tests.support.stream import stream_messages


class Receiver:
    """A city system's endpoint: records each request and answers with `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hallobot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: the official Standard Webhooks library checks the signature."""
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def cloud_event(headers: dict[str, str], body: bytes):
    """What a receiver does: the official CloudEvents SDK parses the delivery. (The Python SDK also
    takes structured mode under another content type; the JavaScript SDK does not, hence the check.)"""
    assert headers["content-type"] == "application/cloudevents+json"
    return from_http_event(HTTPMessage(headers, body))


def change(status="down", previous="up"):
    return HotspotStatusChanged(hotspot_id="kirchplatz", previous=previous, status=status, since=utcnow())


async def test_a_webhook_to_an_allowlisted_local_system_arrives_signed_and_verifies(notifications, nc, receiver):
    body = {"channel": "webhook", "url": receiver.url, "topics": ["wifi.hotspot.*"]}
    assert httpx.post(f"{notifications.url}/subscriptions", json=body).status_code == 401
    refused = httpx.post(f"{notifications.url}/subscriptions", json=body, headers=AUTH)
    assert refused.status_code == 422 and refused.json()["field"] == "url"
    assert "allowlist" in refused.json()["message"]

    allowed = httpx.post(f"{notifications.url}/webhook-allowlist", json={"entry": "127.0.0.1/32"}, headers=AUTH)
    assert allowed.status_code == 201
    created = httpx.post(f"{notifications.url}/subscriptions", json=body, headers=AUTH)
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")

    event = await publish(nc, change())
    assert await until(lambda: receiver.requests)
    headers, payload = receiver.requests[0]
    assert verify(secret, headers, payload)
    assert not verify("whsec_" + base64.b64encode(b"x" * 24).decode(), headers, payload)
    parsed = cloud_event(headers, payload)
    assert parsed.get_id() == event.id and parsed.get_type() == "de.bottrop.hallobot.wifi.hotspot.status_changed"
    assert parsed.get_data() == json.loads(payload)["data"] and parsed.get_data()["hotspot_id"] == "kirchplatz"
    assert await until(lambda: deliveries(notifications, channel="webhook", status="sent"))


async def test_a_failing_endpoint_is_retried_then_disabled_and_an_operator_can_enable_it(notifications, nc, receiver):
    httpx.post(f"{notifications.url}/webhook-allowlist", json={"entry": "127.0.0.1"}, headers=AUTH)
    created = httpx.post(
        f"{notifications.url}/subscriptions",
        headers=AUTH,
        json={"channel": "webhook", "url": receiver.url, "topics": ["wifi.hotspot.status_changed"]},
    ).json()
    receiver.status = 503
    await publish(nc, change())

    def subscription():
        rows = httpx.get(f"{notifications.url}/subscriptions", headers=AUTH, params={"channel": "webhook"}).json()
        return next(row for row in rows if row["id"] == created["id"])

    assert await until(lambda: subscription()["status"] == "disabled", timeout=20)
    assert len(receiver.requests) == 3  # NOTIFICATIONS_WEBHOOK_DISABLE_AFTER=3 tries, all with one webhook-id
    assert len({headers["webhook-id"] for headers, _ in receiver.requests}) == 1
    (dead,) = deliveries(notifications, channel="webhook", status="dead")
    failed = await stream_messages(nc.jetstream(), "NOTIFICATIONS", "hallobot.notifications.delivery.failed.>")
    assert len(failed) == 1 and receiver.url.encode() not in failed[0].data

    await publish(nc, change(status="up", previous="down"))  # a disabled endpoint gets nothing
    receiver.status = 204
    assert httpx.post(f"{notifications.url}/subscriptions/{created['id']}/enable", headers=AUTH).status_code == 200
    assert httpx.post(f"{notifications.url}/deliveries/{dead['id']}/replay", headers=AUTH).status_code == 200
    assert await until(lambda: len(receiver.requests) == 4)
    for headers, payload in receiver.requests:  # every try, the replay too, is a signed CloudEvent
        assert verify(created["secret"], headers, payload) and cloud_event(headers, payload).get_id()
    assert await until(lambda: deliveries(notifications, channel="webhook", status="sent"))
