"""`NatsKeyValueStorage`: a `limits` async storage on a JetStream key-value bucket that all instances
of a service share (moving window and, for the base protocol, fixed window).

One key per limit and identity. Moving window: the value is the JSON list of the window's hit times;
every change is a compare-and-set on the key's revision (`Nats-Expected-Last-Subject-Sequence`), so
two instances never both take the last place. Each instance remembers the value and revision it last
wrote to a key and sets the next hit against that: one round trip per hit while no other instance
writes the key (a client staying with one instance); when another did,
the compare-and-set is refused and the key is read, as a new key is (create, read, compare-and-set).
Hit times only leave a window by age, so a remembered list holds no hit the key does not: a window
that looks full from memory is read again before a hit is refused.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import nats.errors
import nats.js.errors
from limits.aio.storage import MovingWindowSupport, Storage
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.kv import KeyValue

MAX_WINDOW_S = 86_400  # the bucket forgets a key a day after its last hit: no window may be longer
BUCKET_BYTES = 64 * 1024 * 1024  # when full, the oldest keys go first (discard old)
CAS_ATTEMPTS = 8
REMEMBERED_KEYS = 10_000  # the keys whose last written value an instance keeps (cleared when more)
STREAM_NOT_FOUND = 10059  # JetStream's error code


def bucket_name(service: str) -> str:
    return f"RATELIMIT_{service.upper()}"


def bucket_config(bucket: str, replicas: int) -> StreamConfig:
    """A key-value bucket as nats-py makes one, but in memory (counts may be lost with the server:
    that only forgives some hits) and dropping the oldest keys when full instead of refusing."""
    return StreamConfig(
        name=f"KV_{bucket}",
        description="rate limit counts (shared/ratelimit/)",
        subjects=[f"$KV.{bucket}.>"],
        allow_direct=True,
        allow_rollup_hdrs=True,
        deny_delete=True,
        discard=DiscardPolicy.OLD,
        duplicate_window=120,
        max_age=MAX_WINDOW_S,
        max_bytes=BUCKET_BYTES,
        max_msgs_per_subject=1,
        num_replicas=replicas,
        storage=StorageType.MEMORY,
    )


async def declare_bucket(js: JetStreamContext, bucket: str, replicas: int) -> None:
    """Create the bucket's stream if it is missing (an existing one is left as it is)."""
    try:
        await js.stream_info(f"KV_{bucket}")
    except nats.js.errors.NotFoundError:
        await js.add_stream(bucket_config(bucket, replicas))


class NatsKeyValueStorage(Storage, MovingWindowSupport):
    """A `limits` async storage on a JetStream key-value bucket (moving window and fixed window)."""

    STORAGE_SCHEME = None  # built in code with the service's connection, not from a URI

    def __init__(self, bucket: str, replicas: int = 1) -> None:
        super().__init__(None, wrap_exceptions=True)
        self.bucket, self.replicas = bucket, replicas
        self.connection: Callable[[], NATS] | None = None  # set by RateLimiter.connect
        self._kv: KeyValue | None = None
        self._binding = asyncio.Lock()
        self._written: dict[str, tuple[list[float], int]] = {}  # moving-window key → (hits, revision) we wrote

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (nats.errors.Error, TimeoutError, ValueError)

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            async with self._binding:
                if self._kv is None:
                    self._kv = await self._bind()
        return self._kv

    def connected(self) -> bool:
        return self.connection is not None and self.connection().is_connected

    def _js(self) -> JetStreamContext:
        if self.connection is None:
            raise nats.errors.ConnectionClosedError  # not connected yet: let through
        return self.connection().jetstream()

    async def _bind(self) -> KeyValue:
        js = self._js()
        try:
            return await js.key_value(self.bucket)
        except nats.js.errors.BucketNotFoundError:
            pass
        # Where only the admin may create streams (deploy/nats/accounts.conf), `hallobot streams`
        # has declared the bucket already; elsewhere (hallobot up, tests) the first use does.
        await declare_bucket(js, self.bucket, self.replicas)
        return await js.key_value(self.bucket)

    async def _read(self, key: str) -> tuple[Any, int]:
        """(decoded value or None, revision to compare against; 0 for a key never written)."""
        kv = await self._bucket()
        try:
            entry = await kv.get(key)
        except nats.js.errors.KeyNotFoundError as missing:
            return None, (missing.entry.revision if missing.entry else 0) or 0
        except Exception as exc:
            raise self._forget_if_gone(exc) from None
        return json.loads(entry.value or b"null"), entry.revision or 0

    async def _write(self, key: str, value: Any, revision: int) -> int | None:
        """Compare-and-set: the key's new revision, or None when another writer came first."""
        kv = await self._bucket()
        try:
            written: int = await kv.update(key, json.dumps(value, separators=(",", ":")).encode(), last=revision)
        except nats.js.errors.KeyWrongLastSequenceError:
            return None
        except Exception as exc:
            raise self._forget_if_gone(exc) from None
        return written

    def _forget_if_gone(self, exc: Exception) -> Exception:
        """The bucket is in memory: a restarted server has lost it. Bind (and so create) it anew at the
        next use; this one call fails (and is let through)."""
        gone = (nats.js.errors.NoStreamResponseError, nats.errors.NoRespondersError)
        if isinstance(exc, gone) or getattr(exc, "err_code", None) == STREAM_NOT_FOUND:
            self._kv = None
            self._written.clear()
        return exc

    # --- moving window: the value is the ascending list of hit times within the window ---------

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        remembered = self._written.pop(key, None)
        if remembered is None and await self._remember(key, [time.time()] * amount, 0):
            return True  # a new key: one round trip
        for _ in range(CAS_ATTEMPTS):
            # What this instance wrote last, if it did (one round trip); else what the key holds now.
            value, revision = remembered if remembered is not None else await self._read(key)
            now = time.time()
            hits = [t for t in value or [] if t > now - expiry] if isinstance(value, list) else []
            if len(hits) + amount > limit:
                if remembered is not None:
                    remembered = None  # full as remembered: refused only on what the key holds
                    continue
                return False
            if await self._remember(key, [*hits, *[now] * amount], revision):
                return True
            remembered = None  # another writer came first: read the key
        return False  # so contended that the others kept winning: one client flooding; refuse

    async def _remember(self, key: str, hits: list[float], revision: int) -> bool:
        """Compare-and-set the window's hits; when it is taken, remember them for this key's next hit."""
        written = await self._write(key, hits, revision)
        if written is None:
            return False
        if len(self._written) >= REMEMBERED_KEYS:
            self._written.clear()
        self._written[key] = (hits, written)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        value, _ = await self._read(key)
        now = time.time()
        hits = [t for t in value or [] if t > now - expiry] if isinstance(value, list) else []
        # The moment the window frees a place: the oldest of the last `limit` hits plus the window.
        return (hits[-limit] if len(hits) >= limit else (hits[0] if hits else now)), len(hits)

    # --- fixed window (the base protocol): the value is [count, expires at] ---------------------

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        for _ in range(CAS_ATTEMPTS):
            value, revision = await self._read(key)
            now = time.time()
            count, until = (
                value if isinstance(value, list) and len(value) == 2 and value[1] > now else (0, now + expiry)
            )
            if await self._write(key, [count + amount, until], revision) is not None:
                return int(count + amount)
        raise TimeoutError(f"rate limit key {key} contended")

    async def get(self, key: str) -> int:
        value, _ = await self._read(key)
        return int(value[0]) if isinstance(value, list) and len(value) == 2 and value[1] > time.time() else 0

    async def get_expiry(self, key: str) -> float:
        value, _ = await self._read(key)
        return float(value[1]) if isinstance(value, list) and len(value) == 2 else time.time()

    async def check(self) -> bool:
        try:
            await (await self._bucket()).status()
        except Exception:
            return False
        return True

    async def reset(self) -> int | None:
        self._written.clear()
        await self._js().purge_stream(f"KV_{self.bucket}")
        return None

    async def clear(self, key: str) -> None:
        self._written.pop(key, None)
        await (await self._bucket()).purge(key)
