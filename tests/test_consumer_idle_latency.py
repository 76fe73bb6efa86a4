"""No message waits on a quiet stream (issue #19 part 6): publication → handling on a real nats-server.

nats-py's `fetch` could leave a lingering pull request behind that caught the next message and held
it until the request expired (shared/consumer/puller.py says why). The 50 ms goal is checked by
bench/idle_latency.py; these tests assert a bound a loaded CI machine keeps, far below a request's life.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from shared.consumer import ConsumerGroup, DeliveryPolicy, PermanentError, Subscription, decode_cloudevent
from shared.consumer.puller import Puller
from tests.support import schema
from tests.test_consumer import status_event

REQUEST_LIFE_S = 1.0  # the pull request's life on a quiet stream (the services use 5 s)
BOUND_S = 0.5  # what every message must beat here; a message caught by a lingering request waits up to its life


@pytest.fixture
async def sqlite_db(tmp_path):
    database = await schema.create_schema(f"sqlite:///{tmp_path / 'idle.sqlite3'}")
    yield database
    await database.dispose()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


async def test_singles_and_pairs_on_a_quiet_stream_are_handled_at_once_also_after_a_malformed_one(sqlite_db, js):
    handled: dict[str, list[float]] = {}

    def decode(msg):
        if msg.data.startswith(b"MALFORMED"):  # a host's bad report: dead-lettered at once
            handled.setdefault(msg.data.decode(), []).append(time.monotonic())
            raise PermanentError("malformed report")
        return decode_cloudevent(msg)

    async def handle(session, delivery):
        handled.setdefault(delivery.message_id, []).append(time.monotonic())
        await session.execute(schema.effects.insert().values(message_id=delivery.message_id, note="applied"))

    group = ConsumerGroup(sqlite_db, schema.inbox, lambda: js, DeliveryPolicy(fetch_timeout_s=REQUEST_LIFE_S))
    group.add(
        Subscription(name="idle", stream="WIFI", subject="hallobot.wifi.hotspot.>", handler=handle, decode=decode)
    )
    await group.start()
    sent: dict[str, float] = {}

    async def publish(i: int) -> None:
        data, event = status_event(i)
        sent[event.id] = time.monotonic()
        await js.publish(data.nats_subject(), event.to_json(), headers=event.headers())

    async def publish_malformed(i: int) -> None:
        body = f"MALFORMED {i}"
        sent[body] = time.monotonic()
        await js.publish(f"hallobot.wifi.hotspot.status_changed.h{i}", body.encode())

    pauses = random.Random(19)
    try:
        await asyncio.sleep(REQUEST_LIFE_S + 0.1)  # quiet: the first pull request has expired
        for i in range(9):
            kind = i % 3
            if kind == 2:  # the observed case: a malformed report, then a valid one right after it
                await publish_malformed(i)
            await publish(i)
            if kind == 1:  # a pair: the second as soon as the first's PubAck is back
                await publish(100 + i)
            # longer than the pull request's life, at varying phases of the next one
            await asyncio.sleep(REQUEST_LIFE_S + pauses.uniform(0.05, 0.4))
    finally:
        await group.stop()

    assert sorted(handled) == sorted(sent)  # every message handled (or dead-lettered)
    assert all(len(times) == 1 for times in handled.values())
    latencies = {key: handled[key][0] - at for key, at in sent.items()}
    print(f"\nidle latency: {len(latencies)} messages, p99 {p99(list(latencies.values())) * 1000:.1f} ms")
    assert p99(list(latencies.values())) < BOUND_S
    assert max(latencies.values()) < REQUEST_LIFE_S / 2, sorted(latencies.values())[-3:]


async def test_a_pull_request_left_open_by_a_cancelled_fetch_does_not_hold_the_next_messages(js):
    """A fetch given up by the client (cancelled, as at stop, or its connection lost) leaves its pull
    request open on the server, which serves the oldest request first: the next message goes there.
    The puller's requests all end by themselves once they delivered, so nothing waits for a batch."""
    life = 3.0
    pull = await js.pull_subscribe(
        "hallobot.wifi.hotspot.>",
        durable="idle-orphan",
        stream="WIFI",
        config=ConsumerConfig(durable_name="idle-orphan", ack_policy=AckPolicy.EXPLICIT),
    )
    puller = await Puller.bind(pull)
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(puller.fetch(100, life), 0.2)  # its request stays open on the server
        waits = []
        for i in range(4):
            fetching = asyncio.create_task(puller.fetch(100, life))
            await asyncio.sleep(0.1)
            data, event = status_event(i)
            published = time.monotonic()
            await js.publish(data.nats_subject(), event.to_json(), headers=event.headers())
            if i % 2:  # and a pair
                second, second_event = status_event(100 + i)
                await js.publish(second.nats_subject(), second_event.to_json(), headers=second_event.headers())
            got = await fetching
            while i % 2 and len(got) < 2:
                got += await puller.fetch(100, life)
            waits.append(time.monotonic() - published)
            assert [m.headers["Nats-Msg-Id"] for m in got] == [event.id] + ([second_event.id] if i % 2 else [])
            for msg in got:
                await msg.ack()
        assert max(waits) < BOUND_S, waits
    finally:
        await puller.close()


async def test_a_status_meant_for_an_earlier_request_neither_ends_the_fetch_nor_delays_the_next_message(js):
    """What nats-py fell for: a 408 ending an earlier request, read as the answer to the current one."""
    pull = await js.pull_subscribe(
        "hallobot.wifi.hotspot.>",
        durable="idle-stale",
        stream="WIFI",
        config=ConsumerConfig(durable_name="idle-stale", ack_policy=AckPolicy.EXPLICIT),
    )
    puller = await Puller.bind(pull)
    try:
        fetching = asyncio.create_task(puller.fetch(100, 3.0))
        await asyncio.sleep(0.05)
        # An earlier request on the puller's inbox (reply subject of request 0) that expires at once.
        stale = b'{"batch": 1, "expires": 20000000}'
        await js._nc.publish(puller._request_subject, stale, reply=f"{puller._inbox}.0")
        await asyncio.sleep(0.3)
        assert not fetching.done()  # its 408 came and went: the current request is still open
        data, event = status_event(1)
        published = time.monotonic()
        await js.publish(data.nats_subject(), event.to_json(), headers=event.headers())
        got = await fetching
        assert time.monotonic() - published < BOUND_S
        assert [m.headers["Nats-Msg-Id"] for m in got] == [event.id]
        await got[0].ack()
    finally:
        await puller.close()


async def test_an_idle_fetch_ends_with_the_pull_request_and_returns_nothing(js):
    pull = await js.pull_subscribe(
        "hallobot.wifi.hotspot.>",
        durable="idle-empty",
        stream="WIFI",
        config=ConsumerConfig(durable_name="idle-empty", ack_policy=AckPolicy.EXPLICIT),
    )
    puller = await Puller.bind(pull)
    try:
        started = time.monotonic()
        assert await puller.fetch(100, 0.3) == []
        took = time.monotonic() - started
        assert 0.25 < took < 1.0  # the server's 408 at expiry ends it, not the client's grace
    finally:
        await puller.close()
