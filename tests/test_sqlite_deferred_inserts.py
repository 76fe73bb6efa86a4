"""SQLite: a transaction's INSERTs can wait for its COMMIT and go to the database thread with it
(shared/sqlite_connection.py, `defer_writes_until_commit`; used by `shared.outbox.add_events_with`, the
registration's hot path). What must hold: the transaction reads its own writes, a rollback writes
nothing, a failing INSERT fails the commit and nothing of the transaction is kept, and the hand-overs
really are fewer."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.sqlite_connection import WRITES, defer_writes_until_commit
from tests.support.hand_overs import record_hand_overs
from tests.support.schema import count, create_schema, effects


@pytest.fixture
async def db(tmp_path):
    database = await create_schema(f"sqlite:///{tmp_path / 'deferred.sqlite3'}")
    yield database
    await database.dispose()


@pytest.fixture
def hand_overs(monkeypatch):
    return record_hand_overs(monkeypatch)


async def test_deferred_inserts_go_to_the_database_thread_with_the_commit(db, hand_overs):
    async with db.write_connection() as conn:
        assert await defer_writes_until_commit(conn)
        hand_overs.clear()  # BEGIN IMMEDIATE went before
        await conn.execute(insert(effects), {"message_id": "a", "note": "one"})
        await conn.execute(insert(effects), [{"message_id": "b"}, {"message_id": "c"}])
        assert hand_overs == []
    assert hand_overs == ["_run_and_commit"]
    assert await count(db, effects) == 3


async def test_a_transaction_reads_what_it_deferred(db):
    async with db.write_connection() as conn:
        await defer_writes_until_commit(conn)
        await conn.execute(insert(effects), {"message_id": "mine"})
        seen = (await conn.execute(select(effects.c.message_id))).scalars().all()
    assert seen == ["mine"]
    assert await count(db, effects) == 1


async def test_a_rolled_back_transaction_writes_nothing_it_deferred(db):
    with pytest.raises(RuntimeError):
        async with db.write_connection() as conn:
            await defer_writes_until_commit(conn)
            await conn.execute(insert(effects), {"message_id": "never"})
            raise RuntimeError("the use case changed its mind")
    assert await count(db, effects) == 0
    async with db.write_connection() as conn:  # the pooled connection defers no more
        await conn.execute(insert(effects), {"message_id": "later"})
    assert await count(db, effects) == 1


async def test_a_deferred_insert_that_fails_fails_the_commit_and_keeps_nothing(db):
    async with db.write_connection() as conn:
        await conn.execute(insert(effects), {"id": 7, "message_id": "first"})
    with pytest.raises(IntegrityError):
        async with db.write_connection() as conn:
            await defer_writes_until_commit(conn)
            await conn.execute(insert(effects), {"id": 8, "message_id": "would be fine"})
            await conn.execute(insert(effects), {"id": 7, "message_id": "taken id"})
    assert await count(db, effects) == 1
    assert await count(db, effects, effects.c.id == 8) == 0


async def test_updates_and_deletes_wait_too_when_asked_and_in_their_order(db, hand_overs):
    async with db.write_connection() as conn:
        await conn.execute(insert(effects), [{"id": 1, "message_id": "kept"}, {"id": 2, "message_id": "gone"}])
    async with db.write_connection() as conn:
        assert await defer_writes_until_commit(conn, WRITES)
        hand_overs.clear()
        await conn.execute(update(effects).where(effects.c.id == 1).values(note="changed"))
        await conn.execute(delete(effects).where(effects.c.id == 2))
        await conn.execute(insert(effects), {"id": 2, "message_id": "again"})  # after the delete, as asked
        assert hand_overs == []
    assert hand_overs == ["_run_and_commit"]
    async with db.write_connection() as conn:
        rows = (await conn.execute(select(effects.c.id, effects.c.message_id, effects.c.note))).all()
    assert sorted(tuple(row) for row in rows) == [(1, "kept", "changed"), (2, "again", "")]


async def test_a_write_that_returns_rows_runs_at_once_with_what_waited_before_it(db, hand_overs):
    async with db.write_connection() as conn:
        await defer_writes_until_commit(conn, WRITES)
        hand_overs.clear()
        await conn.execute(insert(effects), {"id": 5, "message_id": "waits"})
        returned = (await conn.execute(insert(effects).returning(effects.c.id), {"message_id": "answers"})).all()
        assert hand_overs == ["_execute_and_fetch"]  # one hand-over for both
    assert [row.id for row in returned] == [6]
    assert await count(db, effects) == 2
