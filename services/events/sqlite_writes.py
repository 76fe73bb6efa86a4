"""Local work-around until shared/db.py does it: queue SQLite writers on an asyncio lock.

On SQLite every write transaction is BEGIN IMMEDIATE; when several connections of one process
want the write lock at once, SQLite's busy handler makes the losers poll with growing sleeps (up
to 100 ms), and a rush of registrations collapses to a few dozen per second. Waiting on an asyncio
lock instead wakes the next writer the moment the previous one commits. It covers every writer
of the process: routes, jobs and the outbox relay, because they all go through `db.transaction`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Database


def serialise_sqlite_writes(db: Database) -> None:
    if not db.is_sqlite or getattr(db, "_writes_serialised", False):
        return
    lock, transaction = asyncio.Lock(), db.transaction

    @asynccontextmanager
    async def serialised() -> AsyncIterator[AsyncSession]:
        async with lock, transaction() as session:
            yield session

    db.transaction = serialised
    db._writes_serialised = True


async def serialise_writes_of(runtime) -> None:
    """A `background` hook of the service: runs once at start-up."""
    serialise_sqlite_writes(runtime.db)
