"""What every service shares around its own routes and consumers: lifespan, probes, metrics, docs.

Start-up order: migrate the database, connect the broker, declare streams, start the outbox relay,
start the consumers. Shutdown runs it backwards and lets in-flight work finish (graceful_timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from shared.asyncapi import build_asyncapi
from shared.auth import hash_token
from shared.catalog import EventData
from shared.config import ServiceSettings
from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
from shared.db import Database
from shared.heap import freeze_startup_heap
from shared.housekeeping import keep_tidy
from shared.http import ERROR_RESPONSES, install_error_handlers
from shared.logging import configure_logging
from shared.migrations import upgrade_async
from shared.relay import OutboxRelay
from shared.streams import ensure_streams

log = logging.getLogger("hallobot.service")
NATS_WAIT_NOTICE_S = 5.0


class StartupFailed(Exception):
    """The service cannot start because something it needs is not there (one sentence for the log)."""


def _root_cause(exc: BaseException) -> str:
    """The innermost error of a chain, in one line (e.g. "ConnectionRefusedError: … 127.0.0.1:5432")."""
    while exc.__cause__ is not None or (exc.__context__ is not None and not exc.__suppress_context__):
        exc = exc.__cause__ or exc.__context__
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


@dataclass
class ServiceDefinition:
    """Everything that makes one service what it is; `build_app` wires the rest."""

    name: str
    description: str
    metadata: MetaData
    outbox: Table
    inbox: Table
    routers: list[APIRouter] = field(default_factory=list)
    publishes: list[type[EventData]] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    background: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)

    def asyncapi(self) -> dict[str, Any]:
        return build_asyncapi(
            self.name,
            publishes=self.publishes,
            subscriptions=self.subscriptions,
            description=self.description,
        )


class Runtime:
    """The live parts of a running service, reachable from routes as `request.app.state.runtime`."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition, self.settings = definition, settings
        self.db = Database(settings.resolved_database_url())
        self.broker = NatsBroker(
            settings.nats_servers(),
            graceful_timeout=settings.graceful_timeout_s,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            logger=logging.getLogger("faststream"),
        )
        self.relay = OutboxRelay(
            self.db,
            definition.outbox,
            self.jetstream,
            service=definition.name,
            poll_interval=settings.relay_poll_interval_s,
        )
        self.consumers = ConsumerGroup(
            self.db,
            definition.inbox,
            self.jetstream,
            DeliveryPolicy(
                max_deliver=settings.consumer_max_deliver,
                backoff_s=settings.consumer_backoff_s,
                ack_wait_s=settings.consumer_ack_wait_s,
            ),
        )
        self._tasks: list[asyncio.Task] = []

    def jetstream(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    async def start(self) -> None:
        url = self.settings.resolved_database_url()
        if url.startswith("sqlite"):
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            await upgrade_async(self.definition.name, url)
        except Exception as exc:
            shown = make_url(url).render_as_string(hide_password=True)
            raise StartupFailed(f"the database {shown} cannot be reached or migrated ({_root_cause(exc)})") from exc
        # The broker retries until NATS answers (in a compose file it may start later): say so, and
        # give up after HALLOBOT_NATS_CONNECT_TIMEOUT_S.
        waiting = asyncio.get_running_loop().call_later(
            NATS_WAIT_NOTICE_S, lambda: log.warning("waiting for NATS at %s", self.settings.nats_url)
        )
        try:
            await asyncio.wait_for(self.broker.start(), self.settings.nats_connect_timeout_s)
        except TimeoutError:
            raise StartupFailed(
                f"NATS at {self.settings.nats_url} did not answer within {self.settings.nats_connect_timeout_s:g} s"
            ) from None
        except Exception as exc:
            raise StartupFailed(f"NATS at {self.settings.nats_url} cannot be reached ({_root_cause(exc)})") from exc
        finally:
            waiting.cancel()
        await ensure_streams(self.jetstream(), self.settings.stream_replicas)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for subscription in self.definition.subscriptions:
            self.consumers.add(subscription)
        await self.consumers.start()
        self._tasks.append(
            asyncio.create_task(keep_tidy(self.db, self.definition.outbox, self.definition.inbox), name="housekeeping")
        )
        for job in self.definition.background:
            self._tasks.append(asyncio.create_task(job(self), name=getattr(job, "__name__", "job")))
        freeze_startup_heap()
        log.info("service started", extra={"nats_url": self.settings.nats_url})

    async def stop(self) -> None:
        await self.consumers.stop(self.settings.graceful_timeout_s)
        self.relay.stop()
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.broker.stop()
        await self.db.dispose()

    async def readiness(self) -> dict[str, str]:
        checks = {}
        try:
            checks["broker"] = "ok" if await self.broker.ping(timeout=1.0) else "unreachable"
        except Exception as exc:
            checks["broker"] = f"unreachable: {exc!r}"
        try:
            await asyncio.wait_for(self.db.ping(), 2.0)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc!r}"
        return checks


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def transaction(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.transaction() as session:
        yield session


async def reading(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.reading() as session:
        yield session


# scope="function": commit before the response is sent, so a 2xx means the change is durable.
TransactionDep = Annotated[AsyncSession, Depends(transaction, scope="function")]
ReadingDep = Annotated[AsyncSession, Depends(reading)]

probes = APIRouter(tags=["operations"])


@probes.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@probes.get("/readyz", summary="Readiness: broker and database reachable")
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks = await runtime.readiness()
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, 200 if ready else 503)


@probes.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics() -> PlainTextResponse:
    return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@probes.get("/asyncapi.json", summary="AsyncAPI 3.0 document of this service's events")
async def asyncapi(runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.definition.asyncapi()


def build_app(definition: ServiceDefinition, settings: ServiceSettings) -> FastAPI:
    """`settings` is the service's one settings object, created by its app.py; routes reach it as
    `request.app.state.settings`, background jobs as `runtime.settings`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(definition.name, settings.log_level)
        runtime = Runtime(definition, settings)
        app.state.runtime = runtime
        try:
            await runtime.start()
        except StartupFailed as exc:
            # One sentence instead of a driver's hundred-line traceback; the server then exits.
            log.critical("%s cannot start: %s", definition.name, exc)
            with contextlib.suppress(Exception):
                await runtime.stop()
            raise StartupFailed(str(exc)) from None
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=f"HalloBot {definition.name}",
        description=definition.description,
        version="1",
        lifespan=lifespan,
    )
    app.state.settings, app.state.definition = settings, definition
    token = settings.operator_token.get_secret_value() if settings.operator_token else None
    app.state.operator_token_hash = hash_token(token) if token else None
    install_error_handlers(app)
    app.include_router(probes)
    for router in definition.routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
