"""The internal listener: `/metrics` and the detailed readiness, on `HALLOBOT_INTERNAL_HOST`:
`HALLOBOT_INTERNAL_PORT` (loopback by default; the pod network in Kubernetes), never on the public
port. The public `/readyz` says only "ready" or "not ready"; what decides it: `runtime.READINESS_GATES`.

It is a second uvicorn server in the service's own event loop, started by the lifespan, so that
whatever runs the app (`hallobot serve`, `hallobot up`, a test) gets it from the one setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.service.probes import liveness_answer
from shared.service.runtime import Runtime, StartupFailed, is_ready

log = logging.getLogger("hallobot.service")
STOP_TIMEOUT_S = 5.0


def internal_app(runtime: Runtime) -> Starlette:
    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def readyz(_: Request) -> JSONResponse:
        checks = await runtime.readiness()
        ready = is_ready(checks)
        return JSONResponse({"status": "ready" if ready else "not ready", **checks}, 200 if ready else 503)

    async def healthz(_: Request) -> JSONResponse:
        return liveness_answer(runtime)

    return Starlette(
        routes=[Route("/metrics", metrics), Route("/readyz", readyz), Route("/healthz", healthz)],
    )


class _SecondServer(uvicorn.Server):
    """A server beside the public one in the same loop: the public server owns SIGINT/SIGTERM and
    stops this one through the lifespan."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class InternalListener:
    def __init__(self, runtime: Runtime, host: str, port: int) -> None:
        self.runtime, self.host, self.port = runtime, host, port
        self._server: _SecondServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            sock = _bind(self.host, self.port)
        except OSError as exc:
            raise StartupFailed(
                f"the internal port {self.host}:{self.port} (HALLOBOT_INTERNAL_PORT) cannot be used "
                f"({exc.strerror or exc})"
            ) from None
        # Logging stays as the service configured it (access_log=False would switch off uvicorn's
        # access logger for the public server too: it is one logger per process).
        config = uvicorn.Config(
            internal_app(self.runtime), lifespan="off", log_config=None, timeout_graceful_shutdown=1
        )
        self._server = _SecondServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="internal-listener")
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()  # raises what stopped it
        log.info("internal listener on %s:%s (/metrics, /readyz)", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT_S)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
