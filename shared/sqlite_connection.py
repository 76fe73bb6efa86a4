"""aiosqlite connections that cross to their thread once per statement instead of three or four times.

SQLAlchemy's aiosqlite adapter asks aiosqlite for a cursor, runs the statement, fetches its rows and
closes the cursor; aiosqlite runs each of those on its connection thread and wakes the event loop
afterwards. Measured in bench/consumer.py, those hand-overs (about 15 per transaction), not SQL, were
most of a consumer transaction's time. Here:

- creating and closing a cursor happen right where they are asked for: they do no I/O;
- a statement and the fetch of its rows run in one hand-over (SQLAlchemy fetches all rows of a
  non-streaming result at once anyway; a streaming result is served from the same buffer);
- a rollback with no transaction open (the pool's reset when a connection comes back after a
  commit) is skipped.

Everything that can wait on the database file (BEGIN IMMEDIATE under a busy timeout, the statement,
COMMIT) still runs on the connection's own thread, so the event loop never blocks on SQLite's lock.
Creating a cursor on the loop's thread is safe because the sqlite3 module is built thread-safe here
(`sqlite3.threadsafety == 3`, checked below) and SQLAlchemy never runs two operations on one
connection at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, cast

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url


def _execute_and_fetch(cursor: sqlite3.Cursor, sql: str, parameters: Any) -> list[Any] | None:
    cursor.execute(sql, parameters)
    return cursor.fetchall() if cursor.description else None


class OneHopCursor(aiosqlite.Cursor):
    """An aiosqlite cursor whose execute brings the rows along."""

    _buffered: list[Any] | None = None

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneHopCursor:
        self._buffered = await self._execute(  # type: ignore[no-untyped-call]
            _execute_and_fetch, self._cursor, sql, [] if parameters is None else parameters
        )
        return self

    async def fetchall(self) -> Iterable[sqlite3.Row]:
        if self._buffered is None:
            return await super().fetchall()
        rows, self._buffered = self._buffered, []
        return rows

    async def fetchone(self) -> sqlite3.Row | None:
        if self._buffered is None:
            return await super().fetchone()
        return self._buffered.pop(0) if self._buffered else None

    async def fetchmany(self, size: int | None = None) -> Iterable[sqlite3.Row]:
        if self._buffered is None:
            return await super().fetchmany(size)
        size = size or self._cursor.arraysize
        rows, self._buffered = self._buffered[:size], self._buffered[size:]
        return rows

    async def close(self) -> None:
        self._buffered = None
        self._cursor.close()


class OneHopConnection(aiosqlite.Connection):
    """An aiosqlite connection handing out `OneHopCursor`s."""

    @contextmanager
    async def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self, self._conn.cursor())

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await super().rollback()


def one_hop_connector(url: str) -> Callable[[], Awaitable[OneHopConnection]]:
    """An `async_creator` for `create_async_engine` that opens `url` like SQLAlchemy's aiosqlite
    dialect would (same URL forms and query options), as a `OneHopConnection`."""
    if sqlite3.threadsafety != 3:  # pragma: no cover - depends on how Python's SQLite was built
        raise RuntimeError("sqlite3 is not built thread-safe (serialized); use the plain aiosqlite driver")
    args, options = SQLiteDialect_pysqlite().create_connect_args(make_url(url).set(drivername="sqlite"))
    options["check_same_thread"] = False  # cursors are created on the loop's thread, see above

    async def connect() -> OneHopConnection:
        connection = OneHopConnection(partial(sqlite3.connect, *args, **options), iter_chunk_size=64)
        return cast(OneHopConnection, await connection)

    return connect
