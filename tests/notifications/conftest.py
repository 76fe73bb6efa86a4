"""Fixtures of the notifications tests. Real: nats-server, SMTP (aiosmtpd), the service as a process
(`hallobot serve notifications`) over HTTP, SQLite/PostgreSQL. Fast settings (short polls and backoff)
come in through the service's own NOTIFICATIONS_… environment, as an operator would set them."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx
import pytest

from shared.catalog import EventData
from shared.envelope import CloudEvent
from tests.support.nats import running_nats
from tests.support.services import ServiceProcess
from tests.support.smtp import SmtpServer

OPERATOR = "test-operator-token-notifications"
AUTH = {"Authorization": f"Bearer {OPERATOR}"}
OFFICE = "amt@bottrop.de"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def service_env(nats_url: str, smtp_port: int, data_dir, database_url: str | None = None) -> dict[str, str]:
    env = {
        "NATS_URL": nats_url,
        "HALLOBOT_DATA_DIR": str(data_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "HALLOBOT_OPERATOR_TOKEN": OPERATOR,
        "HALLOBOT_CONSUMER_BACKOFF_S": "[0.2, 0.5]",
        "HALLOBOT_GRACEFUL_TIMEOUT_S": "2",
        "NOTIFICATIONS_SENDER_POLL_S": "0.1",
        "NOTIFICATIONS_BACKOFF_BASE_S": "0.2",
        "NOTIFICATIONS_BACKOFF_MAX_S": "0.5",
        "NOTIFICATIONS_SMTP_TIMEOUT_S": "2",
        "NOTIFICATIONS_OPERATOR_EMAILS": OFFICE,
        "NOTIFICATIONS_SECRET_KEY": "test-secret-key-0123456789",
        "NOTIFICATIONS_WEBHOOK_TIMEOUT_S": "2",
        "NOTIFICATIONS_WEBHOOK_DISABLE_AFTER": "3",
    }
    if database_url:
        env["NOTIFICATIONS_DATABASE_URL"] = database_url
    return env


def start_service(env: dict[str, str], log_dir) -> ServiceProcess:
    service = ServiceProcess("notifications", dict(env), log_dir)
    service.env["HALLOBOT_SITE_URL"] = service.url  # the links in mails: its pages, without a front door
    service.start()
    service.wait_ready()
    return service


@pytest.fixture
def notifications(nats_server, smtp, tmp_path):
    service = start_service(service_env(nats_server.url, smtp.port, tmp_path / "var"), tmp_path)
    yield service
    service.kill()


@pytest.fixture(scope="module")
def module_nats(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def module_smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_notifications(module_nats, module_smtp, tmp_path_factory):
    """One service (with its nats-server and SMTP server) for a module whose tests each use their own
    addresses and ids: a start costs seconds. Such a module overrides `nats_server`, `smtp` and
    `notifications` with these three (as test_pages.py does)."""
    tmp_dir = tmp_path_factory.mktemp("notifications")
    service = start_service(service_env(module_nats.url, module_smtp.port, tmp_dir / "var"), tmp_dir)
    yield service
    service.kill()


async def publish(nc, data: EventData, *, event: CloudEvent | None = None, msg_id: str | None = None) -> CloudEvent:
    """Publish a catalog event as its service's relay would (Nats-Msg-Id = event id unless told)."""
    event = event or data.to_event()
    headers = event.headers() | ({"Nats-Msg-Id": msg_id} if msg_id else {})
    await nc.jetstream().publish(data.nats_subject(), event.to_json(), headers=headers)
    return event


async def until(predicate, timeout: float = 15.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


PAGES = {"confirm": "abonnieren/bestaetigen", "unsubscribe": "abonnieren/abmelden"}


def link(message, purpose: str) -> str:
    """The confirm or unsubscribe link of a mail (its page on the website)."""
    return re.search(rf"(http://\S+/{PAGES[purpose]}\?\S+)", body_text(message)).group(1)


def press(url: str, button: str | None = None) -> httpx.Response:
    """Open a page as a browser does and press its (first, or the named) button: the form's POST with
    its CSRF token and cookie; the answer after the redirect."""
    with httpx.Client(follow_redirects=True, timeout=10, headers={"Accept": "text/html"}) as client:
        page = client.get(url)
        page.raise_for_status()
        forms = re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', page.text, re.S)
        action, inner = next((a, i) for a, i in forms if button is None or button in i)
        token = re.search(r'name="csrf_token" value="([^"]+)"', inner).group(1)
        return client.post(httpx.URL(url).join(action.replace("&amp;", "&")), data={"csrf_token": token})


def body_text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def deliveries(service: ServiceProcess, **params) -> list[dict]:
    response = httpx.get(f"{service.url}/deliveries", params=params, headers=AUTH, timeout=5)
    response.raise_for_status()
    return response.json()


def loads(message) -> dict:
    return json.loads(message.data)
