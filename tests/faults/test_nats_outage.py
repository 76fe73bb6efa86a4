"""NATS stopped for 10 s while a service keeps writing: nothing is lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import time

import pytest

from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
from shared.relay import OutboxRelay
from shared.streams import ensure_streams
from tests.support import schema
from tests.support.stream import eventually, wait_for_count
from tests.test_consumer import record_effect
from tests.test_outbox_relay import write_events

pytestmark = pytest.mark.faults
OUTAGE_S = 10


async def test_events_written_during_a_ten_second_nats_outage_all_arrive_once(database_url, nats_server, nc):
    js = nc.jetstream()
    await ensure_streams(js)
    producer = await schema.create_schema(database_url)
    relay = OutboxRelay(producer, schema.outbox, lambda: js, service="producer", publish_timeout=0.5)
    # The downstream side keeps its own database, as a second service would.
    consumer_db = (
        await schema.create_schema(database_url.replace("test.sqlite3", "consumer.sqlite3"))
        if database_url.startswith("sqlite")
        else producer
    )
    group = ConsumerGroup(
        consumer_db,
        schema.inbox,
        lambda: js,
        DeliveryPolicy(max_deliver=5, backoff_s=[0.2], ack_wait_s=3.0, fetch_timeout_s=1.0),
    )
    group.add(Subscription(name="downstream", stream="WIFI", subject="hallobot.wifi.hotspot.>", handler=record_effect))
    await group.start()
    relay_task = asyncio.create_task(relay.run())

    written: list[str] = []

    async def keep_writing(seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            written.extend(await write_events(producer, 5, per_transaction=5))
            await asyncio.sleep(0.02)

    try:
        writer = asyncio.create_task(keep_writing(OUTAGE_S + 4))
        await asyncio.sleep(2)
        nats_server.stop()
        written_before_outage = len(written)
        await asyncio.sleep(OUTAGE_S)
        written_during_outage = len(written) - written_before_outage
        nats_server.start()
        await writer
        assert written_during_outage > 100  # the service kept accepting changes while NATS was away

        assert await wait_for_count(js, "WIFI", len(written), timeout=60) == len(written)
        assert await eventually(lambda: _reaches(schema.count(consumer_db, schema.effects), len(written)), timeout=60)
        await asyncio.sleep(1)
        assert (await js.stream_info("WIFI")).state.messages == len(written)
        assert await schema.count(consumer_db, schema.effects) == len(written)
    finally:
        relay.stop()
        await relay_task
        await group.stop()
        await producer.dispose()
        if consumer_db is not producer:
            await consumer_db.dispose()


async def _reaches(coro, n):
    return await coro >= n
