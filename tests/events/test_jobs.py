"""Reminders the day before and erasure of personal data after N days, on SQLite and PostgreSQL.

The use cases take `now`, so these tests run them at exact moments against the real database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.events import handlers, models, queries, queries_exports
from services.events.commands import CreateEvent, RegisterForEvent
from services.events.config import EventsSettings
from services.events.jobs import run_due_jobs
from services.events.store import SqlStore
from shared.db import Database
from tests.support.databases import migrated

CREATED = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url):
    async with migrated("events", database_url) as database:
        yield database


async def _event_with_registrants(db: Database) -> tuple[str, list[str]]:
    async with db.transaction() as session:
        store = SqlStore(session)
        event_id = await handlers.create_event(
            store,
            CreateEvent(
                title="Workshop",
                starts_at=datetime(2031, 3, 10, 17, 0, tzinfo=UTC),
                ends_at=datetime(2031, 3, 10, 19, 0, tzinfo=UTC),
                venue="Rathaus",
                capacity=1,
            ),
            CREATED,
        )
        await handlers.publish_event(store, event_id, CREATED)
        ids = [
            (
                await handlers.register(
                    store, RegisterForEvent(event_id, f"P{n}", f"p{n}@example.org"), CREATED, "http://x".__add__
                )
            ).id
            for n in range(2)
        ]
    return event_id, ids


async def _outbox(db: Database, type_suffix: str) -> list[dict]:
    async with db.reading() as session:
        rows = (await session.execute(select(models.outbox.c.payload).order_by(models.outbox.c.seq))).all()
    return [body for body in (json.loads(r.payload) for r in rows) if body["type"].endswith(type_suffix)]


async def test_reminders_go_out_once_on_the_day_before_to_confirmed_registrants_only(db):
    event_id, (confirmed, _waitlisted) = await _event_with_registrants(db)
    two_days_before = datetime(2031, 3, 8, 22, 59, tzinfo=UTC)  # 23:59 in Berlin, 9 March not begun
    day_before = datetime(2031, 3, 8, 23, 0, tzinfo=UTC)  # 00:00 on 9 March in Berlin
    async with db.transaction() as session:
        assert await handlers.send_reminders(SqlStore(session), two_days_before) == 0
    async with db.transaction() as session:
        assert await handlers.send_reminders(SqlStore(session), day_before) == 1
    async with db.transaction() as session:
        assert await handlers.send_reminders(SqlStore(session), day_before) == 0
    (public,) = await _outbox(db, "events.event.reminder_due")
    assert public["data"]["event_id"] == event_id and public["data"]["confirmed"] == 1
    notices = [n for n in await _outbox(db, "registration.notice") if n["data"]["kind"] == "reminder"]
    assert [n["data"]["registration_id"] for n in notices] == [confirmed]


async def test_personal_data_is_erased_n_days_after_the_event_and_the_counts_stay(db):
    event_id, _ids = await _event_with_registrants(db)
    settings = EventsSettings(erase_after_days=30)
    await run_due_jobs(db, datetime(2031, 4, 9, 18, 0, tzinfo=UTC), settings)  # 29 days and 23 hours
    async with db.reading() as session:
        assert "p0@example.org" in await queries_exports.participants_csv(session, event_id)
    assert (await run_due_jobs(db, datetime(2031, 4, 9, 19, 0, tzinfo=UTC), settings))[1] == 1
    async with db.reading() as session:
        rows = (
            await session.execute(select(models.registrations).where(models.registrations.c.event_id == event_id))
        ).all()
        view = await queries.get_event(session, event_id, operator=True)
        export = await queries_exports.participants_csv(session, event_id)
    assert {(r.name, r.email, r.email_key, r.organisation, r.cancel_token_hash) for r in rows} == {(None,) * 5}
    assert (view.confirmed, view.waitlisted) == (1, 1)
    assert "example.org" not in export and len(export.splitlines()) == 3


async def test_a_reminder_for_a_cancelled_event_is_not_sent(db):
    event_id, _ = await _event_with_registrants(db)
    async with db.transaction() as session:
        await handlers.cancel_event(SqlStore(session), event_id, CREATED)
    async with db.transaction() as session:
        assert await handlers.send_reminders(SqlStore(session), datetime(2031, 3, 9, 12, 0, tzinfo=UTC)) == 0
