"""`Runtime`: the live parts of a running service (database, broker, relay, consumers, jobs), started
and stopped in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from faststream.nats import NatsBroker
from faststream.nats.security import NatsSecurity
from nats.js import JetStreamContext
from sqlalchemy.engine import make_url

from shared.config import ServiceSettings
from shared.consumer import ConsumerGroup, DeliveryPolicy
from shared.db import Database
from shared.heap import freeze_startup_heap
from shared.housekeeping import keep_tidy
from shared.migrations import upgrade_async
from shared.nats_connection import tls_context
from shared.relay import OutboxRelay
from shared.secrets import redacted_url
from shared.service.definition import ServiceDefinition
from shared.streams import StreamsNotDeclared, ensure_streams

log = logging.getLogger("hallobot.service")
NATS_WAIT_NOTICE_S = 5.0


class StartupFailed(Exception):
    """The service cannot start because something it needs is not there (one sentence for the log)."""


def _root_cause(exc: BaseException) -> str:
    """The innermost error of a chain, in one line (e.g. "ConnectionRefusedError: … 127.0.0.1:5432")."""
    while True:
        inner = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if inner is None:
            break
        exc = inner
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


class Runtime:
    """The live parts of a running service, reachable from routes as `request.app.state.runtime`."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition, self.settings = definition, settings
        self.db = Database(settings.resolved_database_url())
        tls = tls_context(settings)
        self.broker = NatsBroker(
            settings.nats_servers(),
            inbox_prefix=settings.nats_inbox_prefix,  # deploy/'s accounts: each service reads only its own
            security=NatsSecurity(ssl_context=tls) if tls else None,
            graceful_timeout=settings.graceful_timeout_s,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,  # type: ignore[arg-type]  # seconds; nats-py takes a float
            logger=logging.getLogger("faststream"),
        )
        self.relay = OutboxRelay(
            self.db,
            definition.outbox,
            self.jetstream,
            service=definition.name,
            poll_interval=settings.relay_poll_interval_s,
            window=settings.relay_window,
        )
        self.consumers = ConsumerGroup(
            self.db,
            definition.inbox,
            self.jetstream,
            DeliveryPolicy(
                max_deliver=settings.consumer_max_deliver,
                backoff_s=settings.consumer_backoff_s,
                ack_wait_s=settings.consumer_ack_wait_s,
                lag_interval_s=settings.consumer_lag_interval_s,
            ),
            service=definition.name,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False  # start() finished and stop() not begun: what liveness judges

    def jetstream(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    async def start(self) -> None:
        url = self.settings.resolved_database_url()
        if url.startswith("sqlite"):
            self.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            await upgrade_async(self.definition.name, url)
        except Exception as exc:
            shown = make_url(url).render_as_string(hide_password=True)
            raise StartupFailed(f"the database {shown} cannot be reached or migrated ({_root_cause(exc)})") from exc
        # The broker retries until NATS answers (in a compose file it may start later): say so, and
        # give up after HALLOBOT_NATS_CONNECT_TIMEOUT_S.
        nats_shown = redacted_url(self.settings.nats_url)  # a password in NATS_URL never reaches a log line
        waiting = asyncio.get_running_loop().call_later(
            NATS_WAIT_NOTICE_S, lambda: log.warning("waiting for NATS at %s", nats_shown)
        )
        try:
            await asyncio.wait_for(self.broker.start(), self.settings.nats_connect_timeout_s)
        except TimeoutError:
            raise StartupFailed(
                f"NATS at {nats_shown} did not answer within {self.settings.nats_connect_timeout_s:g} s"
            ) from None
        except Exception as exc:
            raise StartupFailed(f"NATS at {nats_shown} cannot be reached ({_root_cause(exc)})") from exc
        finally:
            waiting.cancel()
        try:
            await ensure_streams(self.jetstream(), self.settings.stream_replicas)
        except StreamsNotDeclared as exc:
            raise StartupFailed(str(exc)) from exc
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for subscription in self.definition.subscriptions:
            self.consumers.add(subscription)
        await self.consumers.start()
        self._tasks.append(
            asyncio.create_task(keep_tidy(self.db, self.definition.outbox, self.definition.inbox), name="housekeeping")
        )
        for job in self.definition.background:
            self._tasks.append(asyncio.create_task(_run(job(self)), name=getattr(job, "__name__", "job")))
        freeze_startup_heap()
        self._started = True
        log.info("service started", extra={"nats_url": nats_shown})

    async def stop(self) -> None:
        self._started = False
        await self.consumers.stop(self.settings.graceful_timeout_s)
        self.relay.stop()
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.broker.stop()
        await self.db.dispose()

    async def readiness(self) -> dict[str, str]:
        """ "ok" or why not, per dependency: served on the internal port only (shared/service/internal.py).
        Only READINESS_GATES decide whether the instance is ready (`is_ready`)."""
        checks: dict[str, str] = {}
        try:
            checks["broker"] = "ok" if await self.broker.ping(timeout=1.0) else "unreachable"
        except Exception as exc:
            checks["broker"] = f"unreachable ({_root_cause(exc)})"
        try:
            await asyncio.wait_for(self.db.ping(), 2.0)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({_root_cause(exc)})"
        return checks

    def liveness(self) -> str | None:
        """Why this process should be restarted, or None. Its NATS client closed for good (it reconnects
        without end otherwise) is the one state that only a restart mends."""
        connection = getattr(self.broker, "_connection", None)
        if connection is not None and connection.is_closed and self._started:
            return "the NATS connection is closed"
        return None


# What makes an instance "not ready" (taken out of the load balancer): only its database, without which
# it can answer nothing. A NATS outage leaves it ready: pages and APIs keep answering from the database,
# writes wait in the outbox, consumers resume after the reconnect; taking every instance out at once
# for a NATS blip would turn a delay into an outage (docs/operations.md, "Probes").
READINESS_GATES = ("database",)


def is_ready(checks: dict[str, str]) -> bool:
    return all(checks.get(gate) == "ok" for gate in READINESS_GATES)


async def _run(job: Awaitable[None]) -> None:
    await job
