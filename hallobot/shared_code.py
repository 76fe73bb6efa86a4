"""Loaded once by the fork server of `hallobot up` (hallobot/preloaded.py): the code the four services
share (shared/ and the libraries under it: FastAPI, SQLAlchemy, pydantic, FastStream, nats-py, Jinja2,
Babel, alembic for the migrations, uvicorn's protocol modules), so that each service, forked from it,
starts with that in memory. Each service's own modules, which the fork server loads after these when
`up` asks for the services, are named in that request (hallobot/launch.py).

Only imports: nothing here reads the environment, opens a connection or starts a thread (a fork of a
process with threads can inherit a held lock). The fork server keeps the garbage collector out of the
loading and then tells it to leave these objects alone (hallobot/fork_server.py)."""

import contextlib
import pkgutil
from importlib import import_module

import shared

LIBRARIES = (
    "hallobot.cli",
    # what a service loads while it starts: uvicorn's protocol and lifespan modules (alembic, with its
    # Config, by load_alembic below: without pygments)
    "concurrent.futures.thread",
    "fastapi.telemetry._runtime",
    "uvicorn.lifespan.off",
    "uvicorn.lifespan.on",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.websockets.auto",
    # what every service loaded after the fork (their import logs under PYTHONPROFILEIMPORTTIME, 2026-11-27):
    # anyio's sockets and streams, ctypes (the fork's death signal), IDNA (host names), the port check
    "anyio._core._sockets",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "anyio.streams.tls",
    "ctypes",
    "encodings.idna",
    "hallobot.ports",
)


def _load(name: str) -> None:
    """A module that fails to load here is left out: the service that needs it loads it again itself
    and fails with the error in its log, as it would started on its own. (The fork server lets only
    ImportError pass; any other error would end it, and with it every start of a service.)"""
    try:
        import_module(name)
    except Exception:
        pass


for module in pkgutil.walk_packages(shared.__path__, "shared.", onerror=lambda _name: None):
    _load(module.name)
for name in LIBRARIES:
    _load(name)
with contextlib.suppress(Exception):
    from shared.migrations import load_alembic

    load_alembic()
