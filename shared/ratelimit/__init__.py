"""The one rate limiter: counts that hold across every instance of a service (docs/security/abuse.md).

Strategy and bookkeeping come from the `limits` library (a moving window: at most `amount` hits in
any `window_s`); the counts live in a JetStream key-value bucket, `RATELIMIT_<SERVICE>`, that all
instances of the service share, because they all share NATS already (`nats_storage.py`).

Keys carry no raw address: the identity (a client address, an email address) is
HMAC-SHA256'd with a key derived from the operator token. IPv6 clients count per /64, the block one
subscriber line gets.

While the connection to NATS is down, requests are let through at once (and a warning logged). If
NATS does not answer within `timeout_s` or refuses, the same, and for the next `pause_s` the limiter
does not ask at all: a broker hiccup must neither stop citizens from registering nor make every
request wait for a timeout. The timeout is generous (5 s) on purpose: under a flood the event loop
itself is slow to hear NATS's answers, and a short timeout would switch the limiter off exactly then.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from limits import RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from nats.aio.client import Client as NATS

from shared.client_address import request_client
from shared.config import ServiceSettings
from shared.errors import TooManyRequests
from shared.ratelimit.nats_storage import MAX_WINDOW_S, NatsKeyValueStorage, bucket_name, declare_bucket

__all__ = [
    "MAX_WINDOW_S",
    "Limit",
    "RateLimiter",
    "bucket_name",
    "check_client",
    "client_identity",
    "declare_bucket",
    "too_many",
]

log = logging.getLogger("hallobot.ratelimit")

DEVELOPMENT_KEY = "hallobot-development-rate-limit-key"


@dataclass(frozen=True)
class Limit:
    """At most `amount` hits per identity in any `window_s` seconds; `name` is named in the 429."""

    name: str
    amount: int
    window_s: float

    def item(self) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(self.amount, min(MAX_WINDOW_S, max(1, math.ceil(self.window_s))), self.name)

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.window_s)

    def describe(self) -> str:
        return f"{self.name}: {self.amount} per {self.window_s:g} s"


def client_identity(address: str) -> str:
    """The unit a per-client limit counts: an IPv4 address, an IPv6 /64, or the text as given."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class RateLimiter:
    """The limits of one service: `build_app` makes it `app.state.rate_limiter` (or takes the one the
    service's app.py made for its consumers) and connects it to the runtime's NATS connection."""

    def __init__(
        self, service: str, *, secret: str | None, replicas: int = 1, timeout_s: float = 5.0, pause_s: float = 10.0
    ) -> None:
        self.storage = NatsKeyValueStorage(bucket_name(service), replicas)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self._key = hashlib.sha256(b"hallobot rate limit keys\0" + (secret or DEVELOPMENT_KEY).encode()).digest()
        self.timeout_s, self.pause_s = timeout_s, pause_s
        self._failed_at = self._warned_at = -math.inf
        self._turns: dict[str, list[Any]] = {}  # key → [its turn (a lock), requests holding or waiting]
        self._full_until: dict[str, float] = {}  # key → when its full window frees a place

    @classmethod
    def of_service(cls, settings: ServiceSettings) -> RateLimiter:
        """Keys are derived from the operator token, which every instance of the service shares."""
        token = settings.operator_token.get_secret_value() if settings.operator_token else None
        return cls(settings.service, secret=token, replicas=settings.stream_replicas)

    def connect(self, connection: Callable[[], NATS]) -> None:
        """`connection`: the service's NATS client (asked at each use: it exists once the service runs)."""
        self.storage.connection = connection

    def pseudonym(self, identity: str) -> str:
        return hmac.new(self._key, identity.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]

    async def acquire(self, limit: Limit, identity: str, cost: int = 1) -> float:
        """Count `cost` hits for `identity`: 0.0 if they fit (and are counted), else the seconds until
        they would. Fails open (0.0) when NATS does not answer."""
        counted, wait = await self._count(limit, identity, cost)
        return 0.0 if counted else wait

    async def _count(self, limit: Limit, identity: str, wanted: int) -> tuple[int, float]:
        """(hits counted, seconds until a place frees when none were). One turn per key in this process:
        a flood from one client queues here instead of racing itself on NATS, and once its window is
        known to be full it is refused without asking NATS again until a place frees."""
        if time.monotonic() - self._failed_at < self.pause_s:
            return wanted, 0.0
        if not self.storage.connected():
            self._failed(limit, ConnectionError("not connected to NATS"), pause=False)
            return wanted, 0.0
        item, key = limit.item(), self.pseudonym(identity)
        slot = item.key_for(key)
        turn = self._turns.get(slot)  # [lock, requests holding or waiting for it]
        if turn is None:
            turn = self._turns[slot] = [asyncio.Lock(), 0]
        turn[1] += 1
        try:
            async with turn[0]:
                return await self._count_in_turn(limit, item, key, slot, wanted)
        finally:
            turn[1] -= 1
            if not turn[1]:
                del self._turns[slot]

    async def _count_in_turn(
        self, limit: Limit, item: RateLimitItemPerSecond, key: str, slot: str, wanted: int
    ) -> tuple[int, float]:
        wait = self._full_until.get(slot, 0.0) - time.time()
        if wait > 0:
            return 0, wait
        try:
            async with asyncio.timeout(self.timeout_s):  # NATS only, not the wait for the turn
                if await self.strategy.hit(item, key, cost=wanted):
                    return wanted, 0.0
                reset_at, remaining = await self.strategy.get_window_stats(item, key)
        except (StorageError, TimeoutError) as exc:
            self._failed(limit, exc)
            return wanted, 0.0
        wait = max(1.0, reset_at - time.time())
        if remaining <= 0:
            self._remember_full(slot, time.time() + wait)
        return 0, wait

    def _remember_full(self, slot: str, until: float) -> None:
        if len(self._full_until) > 10_000:
            now = time.time()
            self._full_until = {k: v for k, v in self._full_until.items() if v > now}
        self._full_until[slot] = until

    def _failed(self, limit: Limit, exc: BaseException, pause: bool = True) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60 or pause:
            self._warned_at = now
            log.warning("rate limit %s not checked (let through): %r", limit.name, exc)
        if pause:
            self._failed_at = now

    async def check(self, limit: Limit, identity: str, cost: int = 1) -> None:
        """Count the hit, or raise TooManyRequests (429 with Retry-After) naming the limit."""
        wait = await self.acquire(limit, identity, cost)
        if wait:
            raise too_many(limit, wait)


def too_many(limit: Limit, wait_s: float) -> TooManyRequests:
    """The 429 of a request over `limit`, naming it, with Retry-After `wait_s`."""
    return TooManyRequests(
        f"Zu viele Anfragen / too many requests (limit {limit.describe()}); try again in {math.ceil(wait_s)} s",
        retry_after_s=wait_s,
    )


async def check_client(request: Request, limit: Limit) -> None:
    """Count one hit of `limit` for the request's client (shared/client_address.py)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check(limit, client_identity(request_client(request)))
