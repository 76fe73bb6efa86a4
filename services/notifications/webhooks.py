"""Webhooks per the Standard Webhooks spec (signed with the `standardwebhooks` library), each a
structured-mode CloudEvent (`application/cloudevents+json`, as the CloudEvents HTTP binding asks);
never into private networks unless an operator allowlisted the target, and always to the address
that was checked.

httpx is imported where a webhook is checked or sent, not with this module: the service starts
without it (and without its TLS context, certifi's CAs), which is 0.06 CPU s of a start that has
none to send (bench/README.md, "Start-up and memory")."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from standardwebhooks import Webhook

from services.notifications.delivery_rules import target_refusal
from shared import tracing
from shared.envelope import CONTENT_TYPE

if TYPE_CHECKING:
    import httpx


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signed_headers(secret: str, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp`, `webhook-signature` (v1, HMAC-SHA256 over id.timestamp.body)."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
        "content-type": CONTENT_TYPE,
    }


Resolver = Callable[[str], Awaitable[list[str]]]


@dataclass(frozen=True)
class Target:
    """A webhook URL's host and what it resolved to (looked up once, outside any transaction). The
    check runs on these addresses, and `post` dials these same addresses: no second lookup that a
    DNS answer with a short TTL could point elsewhere (DNS rebinding)."""

    url: str
    host: str | None  # None: not an http(s) URL with a host
    addresses: list[str] = field(default_factory=list)

    def refusal(self, allowlist: list[str]) -> str | None:
        """Why this target may not receive webhooks, or None."""
        if self.host is None:
            return "the URL must be http(s)://host/…"
        return target_refusal(self.host, self.addresses, allowlist)


async def resolve(host: str) -> list[str]:
    """The system resolver's addresses for `host`, in its order of preference, each once."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def lookup(url: str, resolver: Resolver = resolve) -> Target:
    """Resolve a webhook URL's host: on creation and again before every send (a name may resolve
    elsewhere later). An IP literal is not looked up. DNS can take seconds: never call this inside a
    write transaction."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return Target(url, None)
    host = parsed.raw_host.decode("ascii")
    if parsed.scheme not in ("http", "https") or not host:
        return Target(url, None)
    try:
        return Target(url, host, [str(ipaddress.ip_address(host.split("%", 1)[0]))])
    except ValueError:
        return Target(url, host, await resolver(host))


class WebhookFailure(Exception):
    pass


class PinnedClient:
    """Sends each webhook to an address its `Target` was checked at: the URL's host is replaced by
    that address, while the `Host` header, TLS's server name (SNI) and the certificate check keep the
    host name. One httpx client per host name, so that a kept-alive connection (its pool is keyed by
    address) is only ever reused for the name its TLS session was verified for."""

    def __init__(self, timeout: float, verify: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.verify = verify  # None: made with the first client
        self.clients: dict[str, httpx.AsyncClient] = {}

    def _client(self, host: str) -> httpx.AsyncClient:
        import httpx

        client = self.clients.get(host)
        if client is None:
            if self.verify is None:
                # One TLS context for all hosts (certifi's CAs, or SSL_CERT_FILE/SSL_CERT_DIR); the
                # clients themselves ignore the environment: a proxy would look the name up again.
                self.verify = httpx.create_ssl_context(trust_env=True)
            client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, trust_env=False, verify=self.verify
            )
            self.clients[host] = client
        return client

    async def post(self, target: Target, content: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST to the first of the target's addresses that accepts a connection."""
        import httpx

        if target.host is None or not target.addresses:
            raise WebhookFailure(f"{target.url} has no checked address")
        url = httpx.URL(target.url)
        headers = {**headers, "host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": target.host} if url.scheme == "https" else {}
        client = self._client(target.host)
        failure: Exception | None = None
        for address in target.addresses:
            pinned = url.copy_with(host=address)
            try:
                return await client.post(pinned, content=content, headers=headers, extensions=extensions)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc  # the next checked address, if any
        assert failure is not None
        raise failure

    async def aclose(self) -> None:
        clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            await client.aclose()


async def post(client: PinnedClient, target: Target, secret: str, message_id: str, body: str) -> None:
    """With traces on, the request carries the `webhook send` span's context as `traceparent` (the
    body's CloudEvent keeps the extension of the change it tells of)."""
    import httpx

    try:
        headers = signed_headers(secret, message_id, body) | tracing.carrier()
        response = await client.post(target, body.encode(), headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise WebhookFailure(f"unreachable: {exc!r}"[:500]) from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailure(f"answered {response.status_code}")
