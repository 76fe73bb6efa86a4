"""Async SQLAlchemy engine and transactions for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import DateTime, TypeDecorator, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.outbox import OUTBOX_WRITTEN
from shared.sqlite_connection import one_hop_connector

ASYNC_DRIVERS: Mapping[str, str] = MappingProxyType(
    {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
)


def async_url(url: str) -> str:
    """Accept plain `sqlite:///…` / `postgresql://…` URLs and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=ASYNC_DRIVERS[backend])
    return parsed.render_as_string(hide_password=False)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time HalloBot stores is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite forgets the zone, so it is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)


def sqlite_journal(dbapi_connection: Any) -> None:
    """WAL, and a commit waits for no fsync (synchronous=NORMAL: the WAL is synced at checkpoints). A
    power loss may take the last commits back, never part of one: the file stays consistent. The
    migrations use it too (shared/migrations.py): on a new database every DDL statement is a commit of
    its own, and waiting for the disk at each was a third of a first start's migrations."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, a busy timeout instead of instant 'database is locked', and
    BEGIN IMMEDIATE so that a transaction takes the write lock up front: read-check-write use cases
    (capacity, inbox) then serialise instead of failing on a lock upgrade."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin hook emit BEGIN
        sqlite_journal(dbapi_connection)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        # Pages read straight from the operating system's cache (up to 256 MiB of the file, shared by all
        # connections) instead of each connection's 2 MiB page cache: at 10,000 profiles the directory's
        # database no longer fits that, and the search page's p99 grew with it (bench/README.md).
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        readonly = connection.get_execution_options().get("readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 1.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Check a pooled PostgreSQL connection before use only when it sat idle for a while.

    `pool_pre_ping` pinged at every checkout, and asyncpg's ping is three round trips (BEGIN, an
    empty query, ROLLBACK): a consumer's batch was seven round trips, three of them the ping
    (bench/consumer.py). A connection that was in use a moment ago is alive; one that sat in the
    pool may have been closed by a database restart or an idle timeout, and that is what the ping is
    for. A connection found dead is replaced at once (`DisconnectionError`: the pool connects anew)."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError(f"pooled connection dead: {exc!r}") from exc


class Database:
    """One service's database: engine, session factory and the transaction helper."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options.update(pool_size=pool_size, max_overflow=pool_size)
        if self.is_sqlite:
            options["async_creator"] = one_hop_connector(self.url)
        self.engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        else:
            _ping_after_idle(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._after_outbox_commit: list[Callable[[], None]] = []
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # Write transactions this process has committed: what a cache of query results compares to know
        # that its entry predates a change (services/directory/search_cache.py).
        self.writes_committed = 0

    def on_outbox_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` right after a transaction that staged outbox events has committed."""
        self._after_outbox_commit.append(callback)

    @asynccontextmanager
    async def _sqlite_writer_turn(self) -> AsyncIterator[None]:
        """On SQLite, writers of this process queue on an asyncio lock: SQLite's own busy handler
        makes a waiting writer poll with sleeps of up to 100 ms, which collapses a rush of writes;
        the lock hands the turn over the moment the previous writer commits."""
        if self._write_lock is None:
            yield
        else:
            async with self._write_lock:
                yield

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on error."""
        async with self._sqlite_writer_turn(), self.sessions() as session, session.begin():
            yield session
        self.writes_committed += 1
        if session.info.pop(OUTBOX_WRITTEN, False):
            self._outbox_committed()

    def _outbox_committed(self) -> None:
        for callback in self._after_outbox_commit:
            callback()

    @asynccontextmanager
    async def write_connection(self, *, stages_outbox: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a write transaction (same queueing as `transaction`): no ORM session,
        for hot paths where the session's bookkeeping cost more than the statements. With
        `stages_outbox`, the relay is woken after the commit, as `transaction` does for a session
        that staged events."""
        async with self._sqlite_writer_turn(), self.engine.begin() as conn:
            yield conn
        self.writes_committed += 1
        if stages_outbox:
            self._outbox_committed()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only session (on SQLite it does not take the write lock)."""
        async with self.sessions() as session:
            await session.connection(execution_options={"readonly": True})
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session_or_connection: AsyncSession | AsyncConnection) -> Callable[..., Any]:
    """The dialect's own `insert` (SQLite's or PostgreSQL's), which offers ON CONFLICT (upserts)."""
    if isinstance(session_or_connection, AsyncConnection):
        dialect = session_or_connection.dialect.name
    else:
        bind = session_or_connection.bind
        dialect = bind.dialect.name if bind is not None else ""
    return pg_insert if dialect == "postgresql" else sqlite_insert
