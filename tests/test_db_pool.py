"""The pool and the connections of shared/db.py: PostgreSQL checks a connection before use only after it sat idle;
SQLite reads through the operating system's cache."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from shared import db as shared_db
from shared.db import Database


async def backend_pid(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")))


async def test_a_pooled_connection_closed_by_the_database_while_idle_is_replaced_before_use(postgres_database):
    database = Database(postgres_database, pool_size=1)
    admin = Database(postgres_database)
    try:
        first = await backend_pid(database)
        async with admin.transaction() as session:  # as a database restart would do to it
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(shared_db.PING_AFTER_IDLE_S + 0.2)
        second = await backend_pid(database)  # no error: the dead connection was replaced
        assert second != first
    finally:
        await database.dispose()
        await admin.dispose()


async def test_a_connection_in_use_a_moment_ago_is_handed_out_without_a_ping(postgres_database, monkeypatch):
    database = Database(postgres_database, pool_size=1)
    try:
        await backend_pid(database)  # the pool's one connection, used just now
        pings = []
        async with database.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            adapted = raw.dbapi_connection
        monkeypatch.setattr(type(adapted), "ping", lambda self: pings.append(1))
        for _ in range(3):
            await backend_pid(database)
        assert pings == []
    finally:
        await database.dispose()


async def test_a_sqlite_connection_of_a_service_reads_the_file_through_the_operating_systems_cache(tmp_path):
    """mmap instead of only each connection's 2 MiB page cache: the search page's p99 stays flat when
    the directory's database outgrows that cache (bench/README.md, data_growth.py)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'directory.sqlite3'}")
    try:
        async with database.transaction() as session:
            settings = [
                (await session.execute(text(f"PRAGMA {name}"))).scalar() for name in ("journal_mode", "mmap_size")
            ]
        assert settings == ["wal", 268435456]
    finally:
        await database.dispose()
