"""The credential index: the JetStream key-value bucket HALLOBOT_CREDENTIALS.

notifications (the owner of accounts) writes one key per live console session and API token: the
key is the SHA-256 hex digest of the secret (reading the bucket reveals no credential), the value
`{"account", "role", "kind": "session"|"token", "expires": RFC 3339 | null}`. Every service keeps an
in-memory mirror fed by a KV watch and, on a miss (a login a few milliseconds old), asks the bucket
once directly. Only notifications may write (deploy/nats/accounts.conf); its reconcile job rewrites
the bucket from its tables, so a failed write heals."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from shared.console.roles import is_role

BUCKET = "HALLOBOT_CREDENTIALS"
STREAM = f"KV_{BUCKET}"
KEYS_TIMEOUT_S = 10.0  # reading every key's last entry (the reconcile job tries again when it fails)
LOOKUP_TIMEOUT_S = 2.0
WATCH_RETRY_S = 1.0
log = logging.getLogger("hallobot.console")
Kind = Literal["session", "token"]


@dataclass(frozen=True)
class Credential:
    account: str
    role: str
    kind: Kind
    expires: datetime | None

    def to_json(self) -> bytes:
        expires = self.expires.isoformat() if self.expires else None
        return json.dumps({"account": self.account, "role": self.role, "kind": self.kind, "expires": expires}).encode()

    @classmethod
    def from_json(cls, raw: bytes | None) -> Credential | None:
        """None for anything that is not a well-formed entry (never trust the bucket blindly)."""
        try:
            value: Any = json.loads(raw or b"")
            expires = datetime.fromisoformat(value["expires"]) if value.get("expires") else None
            if expires is not None and expires.tzinfo is None:
                return None
            if not (isinstance(value["account"], str) and is_role(value["role"])):
                return None
            if value["kind"] not in ("session", "token"):
                return None
            return cls(value["account"], value["role"], value["kind"], expires)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def live(self, now: datetime) -> bool:
        return self.expires is None or now < self.expires


def bucket_config(replicas: int) -> StreamConfig:
    """A key-value bucket as nats-py makes one (one value per key, direct get), on file: sessions
    and tokens survive a restart of the broker."""
    return StreamConfig(
        name=STREAM,
        description="console sessions and API tokens by digest (shared/console/credentials.py)",
        subjects=[f"$KV.{BUCKET}.>"],
        allow_direct=True,
        allow_rollup_hdrs=True,
        deny_delete=True,
        duplicate_window=120,
        max_msgs_per_subject=1,
        num_replicas=replicas,
        storage=StorageType.FILE,
    )


async def declare_bucket(js: JetStreamContext, replicas: int) -> None:
    try:
        await js.stream_info(STREAM)
    except nats.js.errors.NotFoundError:
        await js.add_stream(bucket_config(replicas))


class CredentialIndex:
    """One per service process, made in build_app and started in its lifespan (no module state)."""

    def __init__(self, replicas: int = 1) -> None:
        self.replicas = replicas
        self.connection: Callable[[], NATS] | None = None
        self._mirror: dict[str, Credential] = {}
        self._kv: KeyValue | None = None
        self._watch: asyncio.Task[None] | None = None
        self.synced = asyncio.Event()

    def connect(self, connection: Callable[[], NATS]) -> None:
        self.connection = connection

    async def bucket(self) -> KeyValue:
        if self._kv is None:
            if self.connection is None:
                raise nats.errors.ConnectionClosedError
            js = self.connection().jetstream()
            try:
                self._kv = await js.key_value(BUCKET)
            except nats.js.errors.BucketNotFoundError:
                # On deploy/'s accounts `hallobot streams` declares it; elsewhere the first use does.
                await declare_bucket(js, self.replicas)
                self._kv = await js.key_value(BUCKET)
        return self._kv

    def start(self) -> None:
        self._watch = asyncio.create_task(self._follow(), name="credential-index")

    async def stop(self) -> None:
        if self._watch:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch

    async def lookup(self, digest: str) -> Credential | None:
        """The mirror; on a miss, one direct read (a session a few ms old); None when unknown."""
        if (known := self._mirror.get(digest)) is not None:
            return known
        try:
            kv = await self.bucket()
            entry = await asyncio.wait_for(kv.get(digest), LOOKUP_TIMEOUT_S)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.InvalidKeyError):
            return None
        except Exception as exc:  # broker away: nobody new gets in, the mirror still answers
            log.warning("credential index unreachable: %s", exc)
            return None
        return Credential.from_json(entry.value)

    def holds(self, digest: str, credential: Credential) -> bool:
        """Whether the mirror already has this entry (the reconcile job skips what needs no write)."""
        return self._mirror.get(digest) == credential

    # Writes: notifications only (the other services' NATS users may not publish to the bucket).
    async def put(self, digest: str, credential: Credential) -> None:
        await (await self.bucket()).put(digest, credential.to_json())
        self._mirror[digest] = credential

    async def delete(self, digest: str) -> None:
        with contextlib.suppress(nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            await (await self.bucket()).delete(digest)
        self._mirror.pop(digest, None)

    async def keys(self) -> set[str]:
        """The bucket's keys, read from each key's last entry. Not nats-py's `KeyValue.keys()`: its end
        marker goes by the consumer's first info, which the server may answer before the first entry
        is delivered, and it then returned too few (a reconcile that left a stray key, seen in CI).
        Here the reading ends at the entry with nothing pending behind it."""
        kv = await self.bucket()
        if not (await kv.status()).values:
            return set()
        keys: set[str] = set()
        watcher = await kv.watchall(meta_only=True)
        try:
            async with asyncio.timeout(KEYS_TIMEOUT_S):
                async for entry in watcher:
                    if entry is None:  # nats-py's end marker: not trusted, see above
                        continue
                    if entry.operation in (KV_DEL, KV_PURGE):
                        keys.discard(entry.key)
                    else:
                        keys.add(entry.key)
                    if not entry.delta:
                        break
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]
        return keys

    async def _follow(self) -> None:
        """Mirror the bucket: first its current keys, then every change; start over after a failure."""
        while True:
            watcher = None
            try:
                watcher = await (await self.bucket()).watchall()
                loading: dict[str, Credential] | None = {}
                async for entry in watcher:
                    if entry is None:  # the current keys are all there
                        self._mirror, loading = loading or {}, None
                        self.synced.set()
                        continue
                    target = loading if loading is not None else self._mirror
                    credential = None if entry.operation in (KV_DEL, KV_PURGE) else Credential.from_json(entry.value)
                    if credential is None:
                        target.pop(entry.key, None)
                    else:
                        target[entry.key] = credential
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("credential index watch restarts: %s", exc)
                self._kv = None
            finally:
                if watcher is not None:
                    with contextlib.suppress(Exception):
                        await watcher.stop()  # type: ignore[no-untyped-call]
            await asyncio.sleep(WATCH_RETRY_S)
