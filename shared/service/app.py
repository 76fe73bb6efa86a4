"""`build_app`: a service's FastAPI application around its definition and its one settings object."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.auth import hash_token
from shared.config import ServiceSettings
from shared.http import ERROR_RESPONSES, install_error_handlers
from shared.http_guard import install_guard
from shared.logging import configure_logging
from shared.schema_routes import router as schema_routes
from shared.service.definition import ServiceDefinition
from shared.service.probes import probes
from shared.service.runtime import Runtime, StartupFailed

log = logging.getLogger("hallobot.service")


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
    install_guard(app, settings.max_body_bytes)
    app.include_router(probes())
    app.include_router(schema_routes)
    for router in definition.routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
