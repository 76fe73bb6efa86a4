"""A service's database at its Alembic head, for tests that call its handlers directly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from shared.db import Database
from shared.migrations import upgrade_async


@asynccontextmanager
async def migrated(service: str, url: str) -> AsyncIterator[Database]:
    await upgrade_async(service, url)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()
