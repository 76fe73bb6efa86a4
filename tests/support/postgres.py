"""PostgreSQL for the tests, from the first source that works:

1. TEST_DATABASE_URL (an existing server; the tests create and drop their own databases),
2. testcontainers, when a Docker engine answers,
3. an embedded PostgreSQL started from the `pgserver` package (no Docker, no system install).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from sqlalchemy.engine import make_url


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_server(tmp_dir) -> Iterator[str]:
    """Yield a server URL (postgresql://…) with rights to create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    import pgserver

    # pgserver's INFO lines are its own start-up chatter, and the last one is written from its atexit hook
    # into a log stream pytest has closed by then ("--- Logging error ---" after the summary).
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # Run as root, pgserver starts PostgreSQL as its own user: the data directory must not sit
    # inside pytest's private (0700) temp tree, or the server crashes at its first checkpoint.
    data_dir = tempfile.mkdtemp(prefix="hallobot-pg-")
    os.chmod(data_dir, 0o755)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _asyncpg_args(url: str) -> dict:
    parsed = make_url(url)
    args = {"user": parsed.username, "password": parsed.password, "database": parsed.database}
    host = parsed.query.get("host") or parsed.host
    args["host"] = host
    if parsed.port:
        args["port"] = parsed.port
    return {k: v for k, v in args.items() if v}


def _run_aside(coro):
    """Run a coroutine on a private loop in a thread, so sync fixtures can use asyncpg."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def create_database(server_url: str) -> str:
    return _run_aside(_create_database(server_url))


def drop_database(server_url: str, database_url: str) -> None:
    _run_aside(_drop_database(server_url, database_url))


async def _create_database(server_url: str) -> str:
    """A fresh, empty database on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(**_asyncpg_args(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(server_url).set(drivername="postgresql", database=name).render_as_string(hide_password=False)


async def _drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    conn = await asyncpg.connect(**_asyncpg_args(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.contextmanager
def database_of_kind(request, kind: str, tmp_dir, name: str) -> Iterator[str]:
    """A fresh database URL on SQLite (a file in `tmp_dir`) or PostgreSQL (dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / f'{name}.sqlite3'}"
        return
    server_url = request.getfixturevalue("postgres_url")
    url = create_database(server_url)
    try:
        yield url
    finally:
        drop_database(server_url, url)
