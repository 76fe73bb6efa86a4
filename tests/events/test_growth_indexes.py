"""The public list of events stays cheap as the archive of events that are over grows (migration 0008,
bench/data_growth.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from services.events import queries
from services.events.models import events
from tests.support.databases import migrated
from tests.support.plans import analyze, plan_of

NOW = datetime(2026, 11, 27, 10, tzinfo=UTC)
OVER = 3000
COMING = 5


def event_row(number: int, starts_at: datetime) -> dict:
    return {
        "id": f"ev{number:08d}",
        "kind": "event",
        "title": f"Veranstaltung {number}",
        "description": "",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": 50,
        "waitlist": False,
        "status": "published",
        "created_at": NOW - timedelta(days=OVER),
        "updated_at": NOW - timedelta(days=OVER),
    }


@pytest.fixture
async def db(database_url):
    async with migrated("events", database_url) as database:
        rows = [event_row(i, NOW - timedelta(days=OVER - i)) for i in range(OVER)]
        rows += [event_row(OVER + i, NOW + timedelta(days=i + 1)) for i in range(COMING)]
        async with database.write_connection() as conn:
            await conn.execute(insert(events), rows)
        await analyze(database)
        yield database


async def test_the_public_list_of_events_not_yet_over_reads_along_the_end_index_past_no_archive(db):
    async def coming():
        async with db.reading() as session:
            return await queries.list_events(session, operator=False, after=NOW)

    listed = await coming()
    assert [event.id for event in listed] == [f"ev{OVER + i:08d}" for i in range(COMING)]
    assert "ix_events_ends_at" in await plan_of(db, coming, "FROM events")
