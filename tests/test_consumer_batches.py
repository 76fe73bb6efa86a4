"""A fetched batch is handled in one transaction; a poison message or lost acks cost no effect twice."""

from __future__ import annotations

import asyncio
from collections import Counter

from nats.aio.msg import Msg

from shared.consumer import ConsumerGroup, DeliveryPolicy, PermanentError, Subscription
from tests.support import schema
from tests.support.stream import eventually
from tests.test_consumer import _equals, dead_letters, publish_event, status_event

POLICY = DeliveryPolicy(max_deliver=3, backoff_s=[0.05, 0.1], ack_wait_s=1.0, fetch_timeout_s=0.5)
SUBJECT = "hallobot.wifi.hotspot.>"


async def start_batch_group(db, js, batch_handler, name="batch-consumer") -> ConsumerGroup:
    group = ConsumerGroup(db, schema.inbox, lambda: js, POLICY)
    group.add(Subscription(name=name, stream="WIFI", subject=SUBJECT, batch_handler=batch_handler, batch_size=50))
    await group.start()
    return group


async def record_effects(session, deliveries) -> None:
    await session.execute(
        schema.effects.insert(), [{"message_id": d.message_id, "note": "applied"} for d in deliveries]
    )


async def test_a_poison_message_in_a_batch_goes_to_the_dlq_with_its_reason_and_the_others_are_applied_once(db, js):
    applied, batch_sizes = Counter(), []
    data, poison_event = status_event(99)
    await js.publish(data.nats_subject(), poison_event.to_json(), headers=poison_event.headers())
    ids = [await publish_event(js, i) for i in range(20)]  # all stored before the group fetches

    async def handler(session, deliveries):
        batch_sizes.append(len(deliveries))
        if any(d.message_id == poison_event.id for d in deliveries):
            raise PermanentError("hotspot h99 unknown")
        await record_effects(session, deliveries)
        applied.update(d.message_id for d in deliveries)

    group = await start_batch_group(db, js, handler)
    try:
        assert await eventually(lambda: _equals(schema.count(db, schema.effects), 20)) == 20
        letters = await eventually(lambda: dead_letters(js))
        assert [letter["reason"] for letter in letters] == ["rejected: hotspot h99 unknown"]
        assert batch_sizes[0] == 21  # the poison came in a batch with the others
        late = await publish_event(js, 100)  # the consumer keeps running
        assert await eventually(lambda: _equals(schema.count(db, schema.effects), 21)) == 21
        await asyncio.sleep(0.3)
        assert set(applied) == {*ids, late} and max(applied.values()) == 1
        assert await schema.count(db, schema.inbox) == 21  # the poison's claim was rolled back with it
    finally:
        await group.stop()


async def test_a_batch_whose_acks_are_lost_after_its_commit_is_redelivered_without_a_second_effect(db, js, monkeypatch):
    ids = [await publish_event(js, i) for i in range(30)]
    handled = Counter()
    acks_lost, redelivered_acked = asyncio.Event(), []
    real_ack = Msg.ack

    async def ack_lost_for_the_first_batch(msg):  # as if the process died between commit and acks
        if not acks_lost.is_set():
            return None
        if (msg.metadata.num_delivered or 1) > 1:
            redelivered_acked.append(msg)
        return await real_ack(msg)

    async def handler(session, deliveries):
        await record_effects(session, deliveries)
        handled.update(d.message_id for d in deliveries)

    monkeypatch.setattr(Msg, "ack", ack_lost_for_the_first_batch)
    group = await start_batch_group(db, js, handler)
    try:
        assert await eventually(lambda: _equals(schema.count(db, schema.effects), 30)) == 30
        acks_lost.set()  # from here on the acks get through; the first batch comes back after ack_wait

        async def all_acked():
            info = await js.consumer_info("WIFI", "batch-consumer")
            return info.num_ack_pending == 0 and info.num_pending == 0 and len(redelivered_acked) >= 30

        assert await eventually(all_acked, timeout=20)
        assert await schema.count(db, schema.effects) == 30
        assert await schema.count(db, schema.inbox) == 30
        assert set(handled) == set(ids) and max(handled.values()) == 1  # the copies found their claims
    finally:
        await group.stop()
