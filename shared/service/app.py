"""`build_app`: a service's FastAPI application around its definition and its one settings object.

Around every answer, outside FastAPI's error handling (so a 500 gets them too): the security headers,
the HTTP metrics, the request id and the access log (middleware.py); around those, when traces are on
(shared/tracing.py), the server span of FastAPI's own OpenTelemetry layer. Beside the public port, when
`HALLOBOT_INTERNAL_PORT` is set: the internal listener with /metrics and the detailed readiness
(internal.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp

from shared.auth import document_optional_credentials, hash_token
from shared.config import ServiceSettings
from shared.console.credentials import CredentialIndex
from shared.console.pages import install_console
from shared.http import ERROR_RESPONSES, install_error_handlers
from shared.http_guard import install_guard
from shared.logging import configure_logging
from shared.ratelimit import RateLimiter
from shared.schema_routes import router as schema_routes
from shared.service.definition import ServiceDefinition
from shared.service.internal import InternalListener
from shared.service.middleware import AccessLog, RequestMetrics, SecurityHeaders, ServiceMiddleware
from shared.service.probes import probes
from shared.service.runtime import Runtime, StartupFailed
from shared.tracing import setup_tracing
from shared.tracing import shutdown as flush_traces
from shared.web.assets import router as assets

log = logging.getLogger("hallobot.service")
# FastAPI's own OpenTelemetry layer, outside everything above: the server span of each request
# (`<METHOD> <route template>`, the status, a caller's `traceparent` as parent), when traces are on
# (off, it is not even asked: bench/tracing.py). Not its metrics (ours are Prometheus), logs or the
# spans of dependencies, endpoint and serialization (a lean trace: request, bus, mail).
TELEMETRY: TelemetryConfig = {"metrics": False, "logs": False, "operation_spans": False, "auto_configure": False}


class ServiceApp(FastAPI):
    """FastAPI with the shared middleware outside its ServerErrorMiddleware (add_middleware would put
    it inside, where an unhandled error's 500 passes by unseen)."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: ServiceSettings = self.state.settings
        definition: ServiceDefinition = self.state.definition
        docs = [path for path in (self.docs_url, self.redoc_url) if path]
        return ServiceMiddleware(
            super().build_middleware_stack(),
            headers=SecurityHeaders(production=settings.environment == "production", docs_paths=docs),
            metrics=RequestMetrics(service=definition.name),
            access=AccessLog(proxies=settings.trusted_proxy_networks()),
        )


def build_app(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    credentials: CredentialIndex | None = None,
) -> FastAPI:
    """`settings` is the service's one settings object, created by its app.py; routes reach it as
    `request.app.state.settings`, background jobs as `runtime.settings`. `credentials`: the credential
    index, when the app.py made it because its jobs need it too (notifications' write it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(definition.name, settings.log_level)
        runtime = Runtime(definition, settings)
        app.state.runtime = runtime
        internal = None
        if settings.internal_port:
            internal = InternalListener(runtime, settings.internal_host, settings.internal_port)
        try:
            if internal:  # first: a taken port fails at once, and the detailed readiness shows the wait
                await internal.start()
            await runtime.start()
            app.state.credentials.start()  # the mirror of the credential index (shared/console/)
        except StartupFailed as exc:
            # One sentence instead of a driver's hundred-line traceback; the server then exits.
            log.critical("%s cannot start: %s", definition.name, exc)
            with contextlib.suppress(Exception):
                if internal:
                    await internal.stop()
                await runtime.stop()
            raise StartupFailed(str(exc)) from None
        try:
            yield
        finally:
            if internal:
                await internal.stop()
            await app.state.credentials.stop()
            await runtime.stop()
            flush_traces()

    traced = setup_tracing(definition.name, settings.otel_exporter_otlp_endpoint)  # only when it is set
    app = ServiceApp(
        title=f"HalloBot {definition.name}",
        description=definition.description,
        version="1",
        lifespan=lifespan,
        telemetry=TELEMETRY | {"tracing": traced},
    )
    app.state.settings, app.state.definition = settings, definition
    token = settings.operator_token.get_secret_value() if settings.operator_token else None
    app.state.operator_token_hash = hash_token(token) if token else None
    # The one rate limiter (shared/ratelimit/), on the runtime's NATS connection once it is up.
    app.state.rate_limiter = RateLimiter.of_service(settings)
    app.state.rate_limiter.connect(lambda: app.state.runtime.broker.connection)
    # Operator sessions and API tokens (shared/console/): the mirror of the credential index.
    app.state.credentials = credentials or CredentialIndex(settings.stream_replicas)
    app.state.credentials.connect(lambda: app.state.runtime.broker.connection)
    install_error_handlers(app)
    install_guard(app, settings.max_body_bytes)
    document_optional_credentials(app)
    app.include_router(probes())
    app.include_router(schema_routes)
    for router in definition.routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(assets)
    for router in definition.pages:
        app.include_router(router, include_in_schema=False)
    install_console(app)  # after the pages: a service's own page at its area's path wins
    return app
