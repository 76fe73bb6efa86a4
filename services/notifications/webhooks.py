"""Webhooks per the Standard Webhooks spec (signed with the `standardwebhooks` library), each a
structured-mode CloudEvent (`application/cloudevents+json`, as the CloudEvents HTTP binding asks);
never into private networks unless an operator allowlisted the target."""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from services.notifications.delivery_rules import target_refusal
from shared.envelope import CONTENT_TYPE


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


@dataclass(frozen=True)
class Target:
    """A webhook URL's host and what it resolved to (looked up outside any transaction)."""

    url: str
    host: str | None  # None: not an http(s) URL with a host
    addresses: list[str] = field(default_factory=list)

    def refusal(self, allowlist: list[str]) -> str | None:
        """Why this target may not receive webhooks, or None."""
        if self.host is None:
            return "the URL must be http(s)://host/…"
        return target_refusal(self.host, self.addresses, allowlist)


async def resolve(host: str) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


async def lookup(url: str) -> Target:
    """Resolve a webhook URL's host: on creation and again before every send (a name may resolve
    elsewhere later). DNS can take seconds: never call this inside a write transaction."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Target(url, None)
    return Target(url, parts.hostname, await resolve(parts.hostname))


class WebhookFailure(Exception):
    pass


async def post(client: httpx.AsyncClient, url: str, secret: str, message_id: str, body: str) -> None:
    try:
        response = await client.post(url, content=body.encode(), headers=signed_headers(secret, message_id, body))
    except httpx.HTTPError as exc:
        raise WebhookFailure(f"unreachable: {exc!r}"[:500]) from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailure(f"answered {response.status_code}")
