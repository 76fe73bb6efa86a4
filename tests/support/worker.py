"""A process that runs one relay or one consumer group on the test schema, for kill -9 tests.

python -m tests.support.worker relay    <database url> <nats url>
python -m tests.support.worker consumer <database url> <nats url>
"""

from __future__ import annotations

import asyncio
import signal
import sys

import nats

from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
from shared.db import Database
from shared.relay import OutboxRelay
from tests.support import schema


async def record_effect(session, delivery) -> None:
    await session.execute(schema.effects.insert().values(message_id=delivery.message_id, note="applied"))


async def main(role: str, database_url: str, nats_url: str) -> None:
    nc = await nats.connect(nats_url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    db = Database(database_url)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if role == "relay":
        relay = OutboxRelay(db, schema.outbox, lambda: js, service="worker", batch_size=500)
        task = asyncio.create_task(relay.run())
        print("ready", flush=True)
        await stop.wait()
        relay.stop()
        await task
    else:
        group = ConsumerGroup(
            db,
            schema.inbox,
            lambda: js,
            DeliveryPolicy(max_deliver=5, backoff_s=[0.1], ack_wait_s=2.0, fetch_timeout_s=1.0),
        )
        group.add(Subscription(name="worker", stream="WIFI", subject="hallobot.wifi.hotspot.>", handler=record_effect))
        await group.start()
        print("ready", flush=True)
        await stop.wait()
        await group.stop()
    await nc.close()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
