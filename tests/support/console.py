"""A console session for tests of one service's console pages without the notifications service that
owns accounts: the test does what notifications does at a login, one key in the credential index
(NATS KV HALLOBOT_CREDENTIALS) for a fresh session secret, and signs that secret for the cookie under
the service's site secret (HALLOBOT_SITE_SECRET, else the development key in its data dir). The page
then checks it exactly as it checks a real login's (shared/console/access.py)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import nats
from pydantic import SecretStr

from shared.auth import hash_token
from shared.config import SITE_SECRET_FILE
from shared.console.access import SESSION_COOKIE, sign_session
from shared.console.credentials import BUCKET, Credential
from shared.envelope import utcnow
from tests.support.services import ServiceProcess


def site_secret_of(service: ServiceProcess) -> str:
    if secret := service.env.get("HALLOBOT_SITE_SECRET", "").strip():
        return secret
    return (Path(service.env["HALLOBOT_DATA_DIR"]) / SITE_SECRET_FILE).read_text().strip()


async def _put(nats_url: str, digest: str, credential: Credential) -> None:
    client = await nats.connect(nats_url)
    try:
        bucket = await client.jetstream().key_value(BUCKET)
        await bucket.put(digest, credential.to_json())
    finally:
        await client.close()


def console_session(service: ServiceProcess, role: str = "admin", account: str | None = None) -> str:
    """The signed cookie value of a new session of `account` (a fresh id) with `role`, for an hour."""
    secret = secrets.token_urlsafe(32)
    credential = Credential(account or str(uuid.uuid4()), role, "session", utcnow() + timedelta(hours=1))
    asyncio.run(_put(service.env["NATS_URL"], hash_token(secret), credential))
    settings = SimpleNamespace(site_secret=SecretStr(site_secret_of(service)))
    return sign_session(settings, secret)


def sign_in(client: httpx.Client, service: ServiceProcess, role: str = "admin") -> httpx.Client:
    """Give a test's client (a browser of the office) a console session on `service`."""
    client.cookies.set(SESSION_COOKIE, console_session(service, role))
    return client
