"""An event stored through the use cases on a real database, for the tests of the registration's
statements and of the registration desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.events import handlers
from services.events.commands import CreateEvent
from services.events.store import SqlStore
from shared.db import Database

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
START = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)


def link(path: str) -> str:
    return "https://hallo-bot.example.org" + path


async def published_event(db: Database, capacity: int, waitlist: bool = True) -> str:
    command = CreateEvent(
        title="Workshop",
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        venue="Rathaus",
        capacity=capacity,
        waitlist=waitlist,
    )
    async with db.transaction() as session:
        event_id = await handlers.create_event(SqlStore(session), command, NOW)
        await handlers.publish_event(SqlStore(session), event_id, NOW)
    return event_id


async def count(db: Database, table, *where) -> int:
    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)
