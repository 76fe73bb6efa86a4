"""The webhook guard (issue 14, item 8): every IPv6 form that carries a loopback or private IPv4
address is refused, by the rule and by the API; the target is resolved once per send and dialled at
the address that was checked, over TLS with the host name's SNI and certificate check; a resolver
that answers differently the second time (DNS rebinding) cannot steer a webhook to loopback."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import trustme

from services.notifications import handlers
from services.notifications.config import NotificationsSettings
from services.notifications.delivery_rules import address_is_private, target_refusal
from services.notifications.handlers_fanout import fan_out
from services.notifications.repository import SqlRepository
from services.notifications.webhook_sender import WebhookSender
from services.notifications.webhooks import PinnedClient, Target, WebhookFailure, lookup
from shared.catalog import HotspotStatusChanged
from shared.envelope import utcnow
from tests.notifications.conftest import AUTH, notifications, smtp  # noqa: F401 (fixtures)
from tests.support.databases import migrated

# Each is loopback, private, link-local, reserved or unspecified, written as a URL host.
REFUSED_HOSTS = [
    "127.0.0.1",
    "10.1.2.3",
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fd00::1]",
    "[ff02::1]",
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::127.0.0.1]",  # IPv4-compatible
    "[::ffff:0:7f00:1]",  # IPv4-translated (SIIT)
    "[64:ff9b::7f00:1]",  # NAT64, well-known prefix
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    "[64:ff9b:1::7f00:1]",  # NAT64, local-use prefix
    "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
    "[2002:a00:1::1]",  # 6to4 of 10.0.0.1
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1 (obfuscated)
    "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",  # Teredo, client 10.0.0.1
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_every_address_form_that_reaches_a_private_network_is_refused(host):
    target = await lookup(f"http://{host}/hook")
    assert target.addresses, host  # an IP literal is taken as it is, no lookup
    assert target.refusal([]) is not None, host
    assert all(address_is_private(address) for address in target.addresses)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2606:2800:220:1:248:1893:25c8:1946"]
)
def test_public_addresses_in_any_form_stay_allowed(address):
    assert target_refusal("hook.example", [address], []) is None


def test_the_operators_allowlist_still_covers_the_ipv6_forms_of_an_allowed_range():
    allow = ["10.20.0.0/16"]
    assert target_refusal("intra", ["::ffff:10.20.1.1"], allow) is None
    assert target_refusal("intra", ["64:ff9b::a14:101"], allow) is None  # NAT64 of 10.20.1.1
    assert target_refusal("intra", ["64:ff9b::7f00:1"], allow) is not None  # 127.0.0.1 is not in it
    assert target_refusal("intra", ["::1"], allow) is not None
    assert target_refusal("intra", ["127.0.0.1"], ["intra"]) is None  # a host name entry


def test_an_operator_cannot_create_a_webhook_to_any_of_these_forms(notifications):  # noqa: F811
    for host in REFUSED_HOSTS:
        answer = httpx.post(
            f"{notifications.url}/subscriptions",
            headers=AUTH,
            json={"channel": "webhook", "url": f"http://{host}:9/hook", "topics": ["wifi.hotspot.*"]},
        )
        assert answer.status_code == 422, host
        assert answer.json()["field"] == "url", host


# --- resolved once, dialled at the checked address ----------------------------------------------


class Recorder:
    """An HTTP endpoint on one loopback address that records each request (Host header, path)."""

    def __init__(self, address: str, port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, str]] = []
        self.server_names: list[str | None] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                recorder.requests.append({"host": self.headers["Host"], "path": self.path})
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RebindingResolver:
    """Answers `first` to the first question about a name and `then` to every later one."""

    def __init__(self, first: str, then: str) -> None:
        self.first, self.then = first, then
        self.questions: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.questions.append(host)
        return [self.first if len(self.questions) == 1 else self.then]


@pytest.fixture
async def db(tmp_path):
    async with migrated("notifications", f"sqlite:///{tmp_path / 'notifications.sqlite3'}") as database:
        yield database


def settings(tmp_path, **values) -> NotificationsSettings:
    return NotificationsSettings(
        data_dir=tmp_path, secret_key="ssrf-test-key-0123456789abcdefghij", webhook_timeout_s=2, **values
    )


async def subscribe_webhook(db, config: NotificationsSettings, url: str, address: str) -> None:
    """A webhook subscription whose target was checked at creation (resolved to `address`)."""
    async with db.transaction() as session:
        await handlers.subscribe(
            SqlRepository(session),
            config,
            channel="webhook",
            target=Target(url, httpx.URL(url).host, [address]),
            topics=["wifi.hotspot.status_changed"],
            filters={},
            language="de",
            digest="immediate",
        )


async def an_event(db, config: NotificationsSettings) -> None:
    event = HotspotStatusChanged(hotspot_id="kirchplatz", previous="up", status="down", since=utcnow()).to_event()
    async with db.transaction() as session:
        assert await fan_out(SqlRepository(session), config, event) == 1


@pytest.fixture
def endpoints() -> Iterator[tuple[Recorder, Recorder]]:
    """The same port on two loopback addresses: 127.0.0.2 (allowlisted, the 'good' answer) and
    127.0.0.1 (loopback, refused), which must never receive anything."""
    loopback = Recorder("127.0.0.1")
    allowed = Recorder("127.0.0.2", loopback.port)
    yield allowed, loopback
    allowed.close()
    loopback.close()


async def test_a_rebinding_resolver_never_gets_a_webhook_dialled_at_loopback(db, tmp_path, endpoints):
    allowed, loopback = endpoints
    config = settings(tmp_path, webhook_allowlist="127.0.0.2/32")
    url = f"http://hook.test:{loopback.port}/city"
    await subscribe_webhook(db, config, url, "127.0.0.2")
    resolver = RebindingResolver(first="127.0.0.2", then="127.0.0.1")
    sender = WebhookSender(db, config, resolver=resolver)
    try:
        await an_event(db, config)
        assert await sender.step() == 1
        # One question per send: the checked answer is the address dialled; a second lookup (which
        # would have answered loopback) never happens.
        assert resolver.questions == ["hook.test"]
        assert allowed.requests == [{"host": f"hook.test:{loopback.port}", "path": "/city"}]

        await an_event(db, config)  # now the name answers loopback: refused before any dial
        assert await sender.step() == 1
        assert resolver.questions == ["hook.test", "hook.test"]
        assert len(allowed.requests) == 1
    finally:
        await sender.client.aclose()
    assert loopback.requests == []


async def test_a_name_that_answers_public_then_loopback_is_dialled_at_the_public_address_only(tmp_path):
    dialled: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:  # instead of the internet
        dialled.append(request)
        return httpx.Response(204)

    loopback = Recorder("127.0.0.1")
    resolver = RebindingResolver(first="93.184.216.34", then="127.0.0.1")
    client = PinnedClient(2)
    client.clients["hook.example"] = httpx.AsyncClient(transport=httpx.MockTransport(record))
    try:
        target = await lookup(f"http://hook.example:{loopback.port}/city", resolver)
        assert target.refusal([]) is None
        await client.post(target, b"{}", {"content-type": "application/json"})
    finally:
        await client.aclose()
        loopback.close()
    assert resolver.questions == ["hook.example"]
    [request] = dialled
    assert request.url.host == "93.184.216.34" and request.headers["host"] == f"hook.example:{loopback.port}"
    assert loopback.requests == []


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def test_https_webhooks_dial_the_checked_address_with_the_host_names_sni_and_certificate(ca):
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hook.test").configure_cert(server_tls)
    receiver = Recorder("127.0.0.1", tls=server_tls)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    client = PinnedClient(2, verify=trusting)
    try:
        target = Target(f"https://hook.test:{receiver.port}/city", "hook.test", ["127.0.0.1"])
        response = await client.post(target, b"{}", {"content-type": "application/json"})
        assert response.status_code == 204
        assert receiver.server_names == ["hook.test"]
        assert receiver.requests == [{"host": f"hook.test:{receiver.port}", "path": "/city"}]

        # The same address under a name the certificate does not name: the check fails.
        other = Target(f"https://other.test:{receiver.port}/city", "other.test", ["127.0.0.1"])
        with pytest.raises(httpx.ConnectError, match="certificate"):
            await client.post(other, b"{}", {"content-type": "application/json"})
        assert len(receiver.requests) == 1
    finally:
        await client.aclose()
        receiver.close()


async def test_a_target_without_a_checked_address_is_never_dialled():
    client = PinnedClient(2)
    with pytest.raises(WebhookFailure):
        await client.post(Target("http://hook.test/", "hook.test", []), b"{}", {})
    assert client.clients == {}
