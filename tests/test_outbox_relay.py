"""The outbox relay on a real nats-server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from sqlalchemy import select

from shared.catalog import HotspotStatusChanged
from shared.envelope import utcnow
from shared.outbox import add_event
from shared.relay import OutboxRelay
from tests.support import schema
from tests.support.stream import event_ids, eventually, stream_messages, wait_for_count


def status_event(i: int) -> HotspotStatusChanged:
    return HotspotStatusChanged(hotspot_id=f"h{i % 6}", previous="up", status="down", reason=f"#{i}", since=utcnow())


async def write_events(db, n: int, per_transaction: int = 50) -> list[str]:
    ids = []
    for start in range(0, n, per_transaction):
        async with db.transaction() as session:
            for i in range(start, min(n, start + per_transaction)):
                ids.append((await add_event(session, schema.outbox, status_event(i))).id)
    return ids


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay):
    """The relay's loop as a task for the block; stopped and awaited afterwards."""
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        relay.stop()
        await task


async def test_the_relay_publishes_committed_events_in_order_with_their_id_as_msg_id(db, nc, js):
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", batch_size=40)
    ids = await write_events(db, 100)
    async with running(relay):
        assert await wait_for_count(js, "WIFI", 100) == 100
        msgs = await stream_messages(js, "WIFI")
        assert event_ids(msgs) == ids
        assert [m.headers["Nats-Msg-Id"] for m in msgs] == ids
        assert msgs[0].headers["Content-Type"] == "application/cloudevents+json"
        assert msgs[0].subject == "hallobot.wifi.hotspot.status_changed.h0"
        assert await eventually(lambda: _unmarked_is(db, 0), timeout=5)


async def _unmarked_is(db, n: int) -> bool:
    return await schema.count(db, schema.outbox, schema.outbox.c.published_at.is_(None)) == n


async def test_a_running_relay_marks_what_it_published_in_few_writes_and_once_more_when_stopped(db, nc, js):
    from sqlalchemy import event as sa_event

    marks: list[str] = []
    sa_event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: (
            marks.append(statement) if statement.lstrip().upper().startswith("UPDATE OUTBOX") else None
        ),
    )
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", mark_delay=0.3)
    async with running(relay):
        for _i in range(60):  # sixty commits of one event each: sixty rounds of one row
            await write_events(db, 1)
            await asyncio.sleep(0.005)
        assert await wait_for_count(js, "WIFI", 60) == 60
        assert await eventually(lambda: _unmarked_is(db, 0), timeout=5)
        if db.is_sqlite:
            assert 1 <= len(marks) < 20, f"{len(marks)} mark statements for 60 rounds"
        else:
            assert len(marks) >= 1  # PostgreSQL marks in the round's own transaction
        await write_events(db, 3)
        assert await wait_for_count(js, "WIFI", 63) == 63
    assert await _unmarked_is(db, 0)  # stopping marks what was published


async def test_a_relay_publishes_events_written_after_housekeeping_removed_every_older_row(db, nc, js):
    from datetime import timedelta

    from shared.housekeeping import purge_once

    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", mark_delay=0.05)
    async with running(relay):
        first = await write_events(db, 5)
        assert await wait_for_count(js, "WIFI", 5) == 5
        assert await eventually(lambda: _unmarked_is(db, 0), timeout=5)
        async with db.transaction() as session:
            await session.execute(schema.outbox.update().values(published_at=utcnow() - timedelta(days=8)))
        assert await purge_once(db, schema.outbox, schema.inbox) == (4, 0)  # the newest row stays
        later = await write_events(db, 2)
        assert await wait_for_count(js, "WIFI", 7) == 7
        assert event_ids(await stream_messages(js, "WIFI")) == first + later


async def test_a_commit_wakes_the_relay_without_waiting_for_the_poll(db, nc, js):
    # An hour-long poll: the event can only arrive if the commit itself wakes the relay.
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", poll_interval=3600)
    async with running(relay):
        await asyncio.sleep(0.2)  # the relay has done its first (empty) round and sleeps
        await write_events(db, 1)
        assert await wait_for_count(js, "WIFI", 1, timeout=10) == 1


async def test_a_rolled_back_transaction_publishes_nothing(db, nc, js):
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test")
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await add_event(session, schema.outbox, status_event(1))
            raise RuntimeError("use case failed after staging its event")
    published, complete = await relay.publish_pending()
    assert (published, complete) == (0, True)
    assert (await js.stream_info("WIFI")).state.messages == 0


async def test_the_relay_keeps_rows_while_nats_is_down_and_publishes_them_after(db, nats_server, nc, js):
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", publish_timeout=0.5)
    async with running(relay):
        first = await write_events(db, 20)
        assert await wait_for_count(js, "WIFI", 20) == 20
        nats_server.stop()
        during = await write_events(db, 30)  # the writes go on; the events wait in the outbox
        await asyncio.sleep(1.0)
        pending = await schema.count(db, schema.outbox, schema.outbox.c.published_at.is_(None))
        assert pending == 30
        nats_server.start()
        assert await wait_for_count(js, "WIFI", 50, timeout=30) == 50
        assert sorted(event_ids(await stream_messages(js, "WIFI"))) == sorted(first + during)


async def test_several_relays_on_one_postgres_database_never_publish_a_row_twice(postgres_database, nc, js):
    db = await schema.create_schema(postgres_database)
    published_by_anyone: list[str] = []

    async def seen(msg) -> None:  # a core subscriber sees every publish, also the copies dedup drops
        published_by_anyone.append(json.loads(msg.data)["id"])

    watch = await nc.subscribe("hallobot.wifi.hotspot.>", cb=seen)
    relays = [OutboxRelay(db, schema.outbox, lambda: js, service="test", batch_size=25) for _ in range(3)]
    ids = await write_events(db, 400)
    tasks = [asyncio.create_task(relay.run()) for relay in relays]
    try:
        assert await wait_for_count(js, "WIFI", 400) == 400
        await asyncio.sleep(0.5)
        assert sorted(published_by_anyone) == sorted(ids)  # each row handed to NATS exactly once
        assert event_ids(await stream_messages(js, "WIFI")) == ids  # and in commit order
    finally:
        for relay in relays:
            relay.stop()
        await asyncio.gather(*tasks)
        await watch.unsubscribe()
        await db.dispose()


async def test_outbox_rows_are_marked_with_the_time_they_were_published(db, nc, js):
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test")
    await write_events(db, 3)
    assert await relay.publish_pending() == (3, True)
    async with db.reading() as session:
        marks = (await session.execute(select(schema.outbox.c.published_at))).scalars().all()
    assert len(marks) == 3 and all(mark is not None for mark in marks)


async def test_housekeeping_deletes_only_long_published_rows_and_old_claims(db):
    from datetime import timedelta

    from shared.housekeeping import purge_once

    await write_events(db, 3)
    long_ago = utcnow() - timedelta(days=8)
    async with db.transaction() as session:
        old, recent, _unpublished = (
            (await session.execute(select(schema.outbox.c.seq).order_by(schema.outbox.c.seq))).scalars().all()
        )
        await session.execute(schema.outbox.update().where(schema.outbox.c.seq == old).values(published_at=long_ago))
        await session.execute(schema.outbox.update().where(schema.outbox.c.seq == recent).values(published_at=utcnow()))
        await session.execute(
            schema.inbox.insert(),
            [
                {"consumer": "c", "message_id": "old", "processed_at": utcnow() - timedelta(days=31)},
                {"consumer": "c", "message_id": "new", "processed_at": utcnow()},
            ],
        )
    assert await purge_once(db, schema.outbox, schema.inbox) == (1, 1)
    assert await schema.count(db, schema.outbox) == 2  # the recent one and the unpublished one stay
    assert await schema.count(db, schema.inbox) == 1


async def test_several_events_staged_at_once_are_published_in_the_order_given(db, nc, js):
    from shared.outbox import add_events

    async with db.transaction() as session:
        staged = await add_events(session, schema.outbox, [status_event(i) for i in range(5)])
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test")
    assert await relay.publish_pending() == (5, True)
    assert event_ids(await stream_messages(js, "WIFI")) == [event.id for event in staged]


async def _stage_unpublishable_row(db, size: int) -> str:
    """An outbox row larger than the broker's max payload (1 MiB on the test server)."""
    async with db.transaction() as session:
        await session.execute(
            schema.outbox.insert().values(
                event_id="too-big",
                subject="hallobot.wifi.hotspot.status_changed.big",
                payload=b"x" * size,
                created_at=utcnow(),
            )
        )
    return "too-big"


async def test_a_row_that_can_never_be_published_is_parked_and_the_rows_behind_it_go_out_in_order(db, nc, js):
    from shared.metrics import OUTBOX_PARKED

    parked_before = OUTBOX_PARKED.labels("poison")._value.get()
    before = await write_events(db, 3)
    await _stage_unpublishable_row(db, 2 * 1024 * 1024)
    after = await write_events(db, 4)
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="poison", batch_size=5)
    async with running(relay):
        assert await wait_for_count(js, "WIFI", 7) == 7
        assert event_ids(await stream_messages(js, "WIFI")) == before + after
        assert await eventually(lambda: _unmarked_is(db, 1), timeout=5)
    async with db.reading() as session:
        row = (
            await session.execute(
                select(schema.outbox.c.published_at, schema.outbox.c.parked_at, schema.outbox.c.park_reason).where(
                    schema.outbox.c.event_id == "too-big"
                )
            )
        ).one()
    assert row.published_at is None and row.parked_at is not None
    assert "max payload" in row.park_reason and str(2 * 1024 * 1024) in row.park_reason
    assert OUTBOX_PARKED.labels("poison")._value.get() == parked_before + 1


async def test_a_parked_row_is_not_tried_again_after_a_restart_and_later_events_still_flow(db, nc, js):
    await _stage_unpublishable_row(db, 3 * 1024 * 1024)
    first = await write_events(db, 2)
    assert await OutboxRelay(db, schema.outbox, lambda: js, service="test").publish_pending() == (2, True)
    later = await write_events(db, 2)
    restarted = OutboxRelay(db, schema.outbox, lambda: js, service="test")
    assert await restarted.publish_pending() == (2, True)  # the parked row is not read again
    assert event_ids(await stream_messages(js, "WIFI")) == first + later
