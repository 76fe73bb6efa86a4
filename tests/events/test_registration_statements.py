"""The registration's statements on SQLite and PostgreSQL (store.py, migration 0007): the use case on a
real database, without a server: the lock-and-count call, the write with its outbox rows, and what
holds when registrations race for the last places."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import event, select, text

from services.events import handlers, models
from services.events.commands import RegisterForEvent
from services.events.store import SqlStore
from shared.db import Database
from shared.errors import Conflict
from tests.events.stored import NOW, count, link, published_event
from tests.support.databases import migrated
from tests.support.hand_overs import record_hand_overs


async def register(db: Database, event_id: str, n: int):
    async with db.transaction() as session:
        command = RegisterForEvent(event_id, f"Person {n}", f"person{n}@example.org")
        return await handlers.register(SqlStore(session), command, NOW, link)


async def test_a_full_event_puts_the_next_registration_on_the_waitlist_with_its_position(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=2)
        places = [(await register(db, event_id, n)).status for n in range(2)]
        third, fourth = await register(db, event_id, 2), await register(db, event_id, 3)
        assert places == ["confirmed", "confirmed"]
        assert (third.status, third.position, fourth.status, fourth.position) == ("waitlisted", 1, "waitlisted", 2)
        with pytest.raises(Conflict):
            await register(db, event_id, 3)  # the same address again
        # every registration staged its two events in the outbox, the state change before the mail
        async with db.reading() as session:
            payloads = (await session.scalars(select(models.outbox.c.payload).order_by(models.outbox.c.seq))).all()
        kinds = [json.loads(payload)["type"].rsplit(".", 1)[-1] for payload in payloads][-8:]
        assert kinds == ["confirmed", "notice"] * 2 + ["waitlisted", "notice"] * 2


async def test_a_full_event_without_waitlist_refuses_and_writes_nothing(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=1, waitlist=False)
        await register(db, event_id, 0)
        staged = await count(db, models.outbox)
        with pytest.raises(Conflict):
            await register(db, event_id, 1)
        assert await count(db, models.registrations) == 1
        assert await count(db, models.outbox) == staged


async def test_on_postgresql_a_registration_is_two_statements_lock_and_count_then_the_rows(postgres_database):
    async with migrated("events", postgres_database) as db:
        event_id = await published_event(db, capacity=5)
        statements: list[str] = []

        def seen(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            await register(db, event_id, 0)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        assert len(statements) == 2, statements
        assert "events_lock_for_registration" in statements[0]
        assert "INSERT INTO registrations" in statements[1] and "INSERT INTO outbox" in statements[1]


async def test_on_sqlite_a_registration_hands_three_things_to_the_database_thread(tmp_path, monkeypatch):
    """BEGIN IMMEDIATE, the read of event and counts, and the two INSERTs with the COMMIT: SQLite's
    write turn is held for three hand-overs to its thread, as a bare INSERT's transaction is."""
    async with migrated("events", f"sqlite:///{tmp_path / 'events.sqlite3'}") as db:
        event_id = await published_event(db, capacity=5)
        staged_before = await count(db, models.outbox)
        calls = record_hand_overs(monkeypatch)
        registered = await register(db, event_id, 0)
        monkeypatch.undo()
        assert calls == ["_execute_and_fetch", "_execute_and_fetch", "_run_and_commit"], calls
        assert registered.status == "confirmed"
        assert await count(db, models.registrations) == 1
        assert await count(db, models.outbox) > staged_before  # the registration's events, committed with it


async def test_on_postgresql_the_counts_include_what_was_committed_while_waiting_for_the_lock(postgres_database):
    async with migrated("events", postgres_database) as db:
        event_id = await published_event(db, capacity=1)
        async with db.transaction() as first:
            await handlers.register(SqlStore(first), RegisterForEvent(event_id, "A", "a@example.org"), NOW, link)
            # the second starts while the first holds the lock, so its snapshot predates the first's row
            second = asyncio.create_task(register(db, event_id, 1))
            await asyncio.sleep(0.3)
            assert not second.done()
        waiting = await second
        assert (waiting.status, waiting.position) == ("waitlisted", 1)


async def test_concurrent_registrations_never_exceed_the_capacity(database_url):
    async with migrated("events", database_url) as db:
        event_id = await published_event(db, capacity=7)
        results = await asyncio.gather(*(register(db, event_id, n) for n in range(40)))
        assert sorted(r.status for r in results).count("confirmed") == 7
        assert sorted(r.position for r in results if r.status == "waitlisted") == list(range(1, 34))
        confirmed = models.registrations.c.status == "confirmed"
        assert await count(db, models.registrations, models.registrations.c.event_id == event_id, confirmed) == 7


async def test_on_postgresql_the_lock_function_comes_with_0007_takes_many_addresses_from_0009_and_goes_back(
    postgres_database,
):
    from alembic import command

    from shared.migrations import alembic_config, upgrade

    def signatures() -> list[str]:
        async def look() -> list[str]:
            db = Database(postgres_database)
            try:
                async with db.reading() as session:
                    found = await session.scalars(
                        text(
                            "SELECT pg_get_function_identity_arguments(oid) FROM pg_proc"
                            " WHERE proname = 'events_lock_for_registration'"
                        )
                    )
                    return list(found)
            finally:
                await db.dispose()

        return asyncio.run(look())

    def migrate() -> list[list[str]]:
        seen = []
        upgrade("events", postgres_database, "0007")
        seen.append(signatures())
        command.downgrade(alembic_config("events", postgres_database), "0006")
        seen.append(signatures())
        upgrade("events", postgres_database, "0009")
        seen.append(signatures())
        command.downgrade(alembic_config("events", postgres_database), "0008")
        seen.append(signatures())
        return seen

    one, many = (
        "p_event_id character varying, p_email_key character varying",
        ("p_event_id character varying, p_email_keys character varying[]"),
    )
    assert await asyncio.to_thread(migrate) == [[one], [], [many], [one]]
