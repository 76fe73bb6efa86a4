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
from sqlalchemy.ext.asyncio import AsyncConnection

Deferred = list[tuple[str, Any, bool]]  # (sql, parameters, executemany)
INSERTS = frozenset({"INSERT"})
WRITES = frozenset({"INSERT", "UPDATE", "DELETE"})


def _run(connection: sqlite3.Connection, statements: Deferred) -> None:
    for sql, parameters, many in statements:
        if many:
            connection.executemany(sql, parameters)
        else:
            connection.execute(sql, parameters)


def _run_and_commit(connection: sqlite3.Connection, statements: Deferred) -> None:
    _run(connection, statements)
    connection.commit()


def _execute_and_fetch(
    cursor: sqlite3.Cursor, sql: str, parameters: Any, before: Deferred, many: bool = False
) -> list[Any] | None:
    _run(cursor.connection, before)
    if many:
        cursor.executemany(sql, parameters)
    else:
        cursor.execute(sql, parameters)
    return cursor.fetchall() if cursor.description else None


def _is_deferred(sql: str, kinds: frozenset[str]) -> bool:
    """A write of one of `kinds` that returns no rows: nothing waits for its answer but the COMMIT."""
    return bool(kinds) and sql.lstrip()[:6].upper() in kinds and "RETURNING" not in sql.upper()


class OneHopCursor(aiosqlite.Cursor):
    """An aiosqlite cursor whose execute brings the rows along."""

    _buffered: list[Any] | None = None

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneHopCursor:
        return await self._run_or_defer(sql, [] if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneHopCursor:
        return await self._run_or_defer(sql, list(parameters), many=True)

    async def _run_or_defer(self, sql: str, parameters: Any, *, many: bool) -> OneHopCursor:
        """Run the statement (after what waits deferred, in the same hand-over), or defer it."""
        connection = cast(OneHopConnection, self._conn)
        if _is_deferred(sql, connection.deferring):
            connection.deferred.append((sql, parameters, many))
            self._buffered = []
            return self
        self._buffered = await self._execute(  # type: ignore[no-untyped-call]
            _execute_and_fetch, self._cursor, sql, parameters, connection.take_deferred(), many
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
    """An aiosqlite connection handing out `OneHopCursor`s, and deferring a transaction's writes to
    its COMMIT when asked to (`defer_writes_until_commit`)."""

    deferring: frozenset[str] = frozenset()  # the kinds of statement that wait for the COMMIT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: Deferred = []

    def take_deferred(self) -> Deferred:
        taken, self.deferred = self.deferred, []
        return taken

    @contextmanager
    async def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self, self._conn.cursor())

    async def commit(self) -> None:
        self.deferring = frozenset()
        deferred = self.take_deferred()
        if deferred:
            await self._execute(_run_and_commit, self._conn, deferred)  # type: ignore[no-untyped-call]
        else:
            await super().commit()

    async def rollback(self) -> None:
        self.deferring = frozenset()
        self.deferred = []
        if self._conn.in_transaction:
            await super().rollback()


async def defer_writes_until_commit(connection: AsyncConnection, kinds: frozenset[str] = INSERTS) -> bool:
    """From now until this transaction ends, statements of `kinds` (INSERTS, or WRITES: INSERT, UPDATE
    and DELETE) that return no rows wait and go to the database thread together with the COMMIT (or
    with the next statement that is not such a write, so the transaction still reads its own writes):
    one hand-over instead of one each. For a hot path that holds SQLite's write turn
    (`Database.transaction`) while it writes: each hand-over waits for a turn of a busy event loop
    (bench/README.md, the registration rush). A deferred statement's row count is unknown (-1): only
    for writes whose count nobody reads. One that fails (a constraint) fails the COMMIT, and nothing
    of the transaction is committed. False (and nothing changes) on a connection that is not a
    `OneHopConnection`."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, OneHopConnection):
        return False
    driver.deferring = driver.deferring | kinds
    return True


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
