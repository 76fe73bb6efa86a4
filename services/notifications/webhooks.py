"""Webhooks per the Standard Webhooks spec: signed POSTs to city systems, never into private networks
unless an operator allowlisted the target."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import socket
import time
from urllib.parse import urlsplit

import httpx

from services.notifications.domain import target_refusal


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`webhook-signature` value: v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, body: str, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


async def resolve(host: str) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({info[4][0] for info in infos})


async def check_target(url: str, allowlist: list[str]) -> str | None:
    """Why `url` may not receive webhooks, or None. Checked on creation and again before every send
    (a name may resolve elsewhere later)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the URL must be http(s)://host/…"
    return target_refusal(parts.hostname, await resolve(parts.hostname), allowlist)


class WebhookFailure(Exception):
    pass


async def post(client: httpx.AsyncClient, url: str, secret: str, message_id: str, body: str) -> None:
    try:
        response = await client.post(url, content=body.encode(), headers=signed_headers(secret, message_id, body))
    except httpx.HTTPError as exc:
        raise WebhookFailure(f"unreachable: {exc!r}"[:500]) from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailure(f"answered {response.status_code}")
