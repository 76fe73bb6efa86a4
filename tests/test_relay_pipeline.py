"""The pipelined relay (a window of publishes in flight) on a real nats-server: a publish that fails
in the middle of a window never lets a later row of its stream overtake it, the next round starts at
the first row without a PubAck, and the stream holds every row once, in row order."""

from __future__ import annotations

import asyncio
import json

from nats.js import JetStreamContext

from shared.envelope import utcnow
from shared.metrics import OUTBOX_DUPLICATES
from shared.relay import OutboxRelay
from shared.relay.acks import AckInbox
from tests.support import schema
from tests.support.stream import stream_messages, wait_for_count

WIFI = "hallobot.wifi.hotspot.status_changed.h{}"
FAIRTRADE = "hallobot.fairtrade.criterion.met.c{}"


async def stage(db, subjects: list[str], prefix: str = "r") -> list[str]:
    """Outbox rows on the given subjects, in this order; their ids are `<prefix><index>`."""
    ids = [f"{prefix}{i:04d}" for i in range(len(subjects))]
    async with db.transaction() as session:
        await session.execute(
            schema.outbox.insert(),
            [
                {
                    "event_id": id_,
                    "subject": subject,
                    "payload": json.dumps({"id": id_}).encode(),
                    "created_at": utcnow(),
                }
                for id_, subject in zip(ids, subjects, strict=True)
            ],
        )
    return ids


class LosingInbox(AckInbox):
    """Loses the publish of one row on the way to the server, as a dropped connection would; it is
    never answered, so the relay's window times out on it. Every other publish is real."""

    def __init__(self, lose: str) -> None:
        super().__init__()
        self.lose, self.lost = lose, False
        self.refused_after_loss: list[str] = []

    async def send(self, js: JetStreamContext, subject: str, payload: bytes, headers: dict[str, str]) -> str:
        if headers["Nats-Msg-Id"] == self.lose and not self.lost:
            self.lost = True
            return self._expect()  # awaited, never sent
        return await super().send(js, subject, payload, headers)


async def ids_in(js, stream: str) -> list[str]:
    return [m.headers["Nats-Msg-Id"] for m in await stream_messages(js, stream)]


async def unmarked(db) -> int:
    return await schema.count(db, schema.outbox, schema.outbox.c.published_at.is_(None))


async def test_a_publish_lost_in_the_middle_of_a_window_is_not_overtaken_and_the_next_round_starts_there(db, nc, js):
    ids = await stage(db, [WIFI.format(i % 6) for i in range(200)])
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", batch_size=200, publish_timeout=0.5)
    relay._acks = LosingInbox(lose=ids[80])

    published, complete = await relay.publish_pending()

    # The rows behind the lost one were sent in the same window, and the server refused each of
    # them (its expected last msg id is a row that never arrived): the stream ends before the gap.
    assert (published, complete) == (80, False)
    assert await ids_in(js, "WIFI") == ids[:80]
    assert await unmarked(db) == 120
    assert await relay.publish_pending() == (120, True)  # from the lost row on
    assert await ids_in(js, "WIFI") == ids  # every row once, in row order
    assert await unmarked(db) == 0


async def test_rows_of_two_streams_interleave_and_a_loss_on_one_stream_holds_back_only_its_own_rows(db, nc, js):
    subjects = [(WIFI if i % 3 else FAIRTRADE).format(i) for i in range(150)]
    ids = await stage(db, subjects)
    wifi = [id_ for id_, subject in zip(ids, subjects, strict=True) if subject.startswith("hallobot.wifi")]
    fairtrade = [id_ for id_ in ids if id_ not in wifi]
    lost = wifi[20]
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", batch_size=150, publish_timeout=0.5)
    relay._acks = LosingInbox(lose=lost)
    duplicates_before = OUTBOX_DUPLICATES.labels("test")._value.get()

    published, complete = await relay.publish_pending()

    assert (published, complete) == (ids.index(lost), False)
    assert await ids_in(js, "WIFI") == wifi[:20]  # nothing of WIFI behind the lost row
    assert await ids_in(js, "FAIRTRADE") == fairtrade  # the other stream went on
    assert await relay.publish_pending() == (len(ids) - ids.index(lost), True)
    assert await ids_in(js, "WIFI") == wifi
    assert await ids_in(js, "FAIRTRADE") == fairtrade  # the copies sent again were dropped...
    fairtrade_behind = len([id_ for id_ in fairtrade if ids.index(id_) > ids.index(lost)])
    assert OUTBOX_DUPLICATES.labels("test")._value.get() - duplicates_before == fairtrade_behind  # ...as such


async def test_rows_published_but_not_marked_are_sent_again_as_duplicates_and_new_rows_follow_in_order(db, nc, js):
    # A relay that died between publishing and marking: the next one sends the same rows, each
    # but the first with the expected last msg id of its predecessor while the stream's last id is
    # the newest row. The server checks the dedup window first, so they are duplicates, not refusals.
    first = await stage(db, [WIFI.format(i % 6) for i in range(100)], prefix="a")
    assert await OutboxRelay(db, schema.outbox, lambda: js, service="test").publish_pending() == (100, True)
    async with db.transaction() as session:
        await session.execute(schema.outbox.update().values(published_at=None))
    later = await stage(db, [WIFI.format(i % 6) for i in range(50)], prefix="b")
    duplicates_before = OUTBOX_DUPLICATES.labels("again")._value.get()

    assert await OutboxRelay(db, schema.outbox, lambda: js, service="again").publish_pending() == (150, True)

    assert OUTBOX_DUPLICATES.labels("again")._value.get() - duplicates_before == 100
    assert await ids_in(js, "WIFI") == first + later
    assert await unmarked(db) == 0


async def test_a_nats_server_stopped_while_windows_are_in_flight_leaves_every_row_once_in_row_order(
    db, nats_server, nc, js
):
    ids = await stage(db, [WIFI.format(i % 6) for i in range(4000)])
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", publish_timeout=0.5)
    task = asyncio.create_task(relay.run())
    try:
        while (await js.stream_info("WIFI")).state.messages < 600:
            await asyncio.sleep(0.005)
        nats_server.stop()  # mid-window: publishes in the socket and in the client's buffer
        await asyncio.sleep(1.0)
        nats_server.start()
        assert await wait_for_count(js, "WIFI", len(ids), timeout=60) == len(ids)
        await asyncio.sleep(0.5)
        assert await ids_in(js, "WIFI") == ids
    finally:
        relay.stop()
        await task


class SharingInbox(AckInbox):
    """Another service publishes to the same stream just before one row of the window goes out."""

    def __init__(self, before: str) -> None:
        super().__init__()
        self.before = before

    async def send(self, js: JetStreamContext, subject: str, payload: bytes, headers: dict[str, str]) -> str:
        if headers["Nats-Msg-Id"] == self.before:
            self.before = ""
            await js.publish(WIFI.format("x"), b'{"id": "foreign"}', headers={"Nats-Msg-Id": "foreign"})
        return await super().send(js, subject, payload, headers)


async def test_a_message_of_another_writer_between_two_rows_makes_the_relay_try_again_from_there(db, nc, js):
    # PRIVATE takes the rows of several services: there a predecessor check fails without any loss.
    ids = await stage(db, [WIFI.format(i % 6) for i in range(60)])
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", batch_size=60)
    relay._acks = SharingInbox(before=ids[30])

    assert await relay.publish_pending() == (30, False)
    assert await relay.publish_pending() == (30, True)
    assert await ids_in(js, "WIFI") == [*ids[:30], "foreign", *ids[30:]]


async def test_a_loss_in_a_later_batch_of_a_round_keeps_the_batches_before_it_marked(db, nc, js):
    # On PostgreSQL a round publishes up to four batches under one lock, marking each batch while
    # the next one goes out; on SQLite the relay reads on after the last row it published.
    ids = await stage(db, [WIFI.format(i % 6) for i in range(200)])
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="test", batch_size=50, publish_timeout=0.5)
    relay._acks = LosingInbox(lose=ids[130])
    published = 0
    while True:
        done, complete = await relay.publish_pending()
        published += done
        if not complete:
            break
    assert published == 130
    assert await ids_in(js, "WIFI") == ids[:130]
    assert await unmarked(db) == 70
    while published < 200:
        published += (await relay.publish_pending())[0]
    assert await ids_in(js, "WIFI") == ids
    assert await unmarked(db) == 0
