"""A three-node NATS cluster from deploy/nats/cluster.conf on loopback: R3 streams, one node killed
(SIGKILL) while a service's relay publishes and its consumers consume; nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest
from sqlalchemy import distinct, func, select

from shared.config import ServiceSettings
from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
from shared.relay import OutboxRelay
from shared.streams import STREAMS, ensure_streams
from tests.deploy.cluster import NODES, Cluster
from tests.support import schema
from tests.support.stream import event_ids, eventually, stream_messages
from tests.support.worker import record_effect
from tests.test_outbox_relay import write_events

pytestmark = pytest.mark.faults


@pytest.fixture
async def cluster(tmp_path):
    nodes = Cluster.create(tmp_path)
    try:
        nodes.start()
        await nodes.wait_for_jetstream()
        yield nodes
    finally:
        nodes.kill()


async def test_streams_are_declared_with_three_replicas_when_the_admin_is_told_so(cluster, monkeypatch):
    monkeypatch.setenv("HALLOBOT_STREAM_REPLICAS", "3")
    replicas = ServiceSettings(service="wifi").stream_replicas
    nc = await nats.connect(cluster.urls("operator"), tls=cluster.tls())
    try:
        js = nc.jetstream()
        await ensure_streams(js, replicas)
        for spec in STREAMS:
            info = await js.stream_info(spec.name)
            assert info.config.num_replicas == 3, spec.name
            assert info.cluster.leader in NODES and len(info.cluster.replicas) == 2, spec.name
    finally:
        await nc.close()


async def test_killing_the_stream_leader_loses_nothing_and_the_node_catches_up(cluster, tmp_path):
    admin = await nats.connect(
        cluster.urls("operator"), max_reconnect_attempts=-1, reconnect_time_wait=0.2, tls=cluster.tls()
    )
    ajs = admin.jetstream(timeout=5)
    await ensure_streams(ajs, 3)
    leader = (await ajs.stream_info("WIFI")).cluster.leader

    # The service's connection starts on the leader, so the kill takes its server, the stream
    # leader and (likely) the consumer leader at once. (As the admin: its consumer has a test's
    # own name, which the wifi user may not run; deploy/'s permissions are tested elsewhere.)
    nc = await nats.connect(
        cluster.urls("operator", first=leader),
        dont_randomize=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.2,
        tls=cluster.tls(),
    )
    js = nc.jetstream()
    db = await schema.create_schema(f"sqlite:///{tmp_path / 'wifi.sqlite3'}")
    relay = OutboxRelay(db, schema.outbox, lambda: js, service="wifi", batch_size=50)
    consumers = ConsumerGroup(
        db,
        schema.inbox,
        lambda: js,
        DeliveryPolicy(max_deliver=20, backoff_s=[0.2], ack_wait_s=2.0, fetch_timeout_s=1.0),
    )
    consumers.add(
        Subscription(
            name=f"cluster-{uuid.uuid4().hex[:8]}",
            stream="WIFI",
            subject="hallobot.wifi.hotspot.>",
            handler=record_effect,
            batch_size=20,
        )
    )
    await consumers.start()
    relay_task = asyncio.create_task(relay.run())
    try:
        ids: list[str] = []

        async def keep_writing():  # a service under steady load: 40 transactions of 10 events
            for _ in range(40):
                ids.extend(await write_events(db, 10, per_transaction=10))
                await asyncio.sleep(0.05)

        writer = asyncio.create_task(keep_writing())

        async def stream_count():
            return (await ajs.stream_info("WIFI")).state.messages

        assert await eventually(lambda: _at_least(stream_count, 100), timeout=20)
        cluster.servers[leader].kill()
        assert not writer.done(), "the kill must come while events are still being written"
        await writer

        assert await eventually(lambda: _equals(stream_count, 400), timeout=60), await stream_count()
        assert await eventually(lambda: _equals(lambda: schema.count(db, schema.effects), 400), timeout=60)
        assert event_ids(await stream_messages(ajs, "WIFI")) == ids  # in order, each once
        async with db.reading() as session:
            distinct_ids = await session.scalar(select(func.count(distinct(schema.effects.c.message_id))))
        assert distinct_ids == 400 and await schema.count(db, schema.effects) == 400
        # the relay marks what it published every 0.2 s
        assert await eventually(
            lambda: _equals(lambda: schema.count(db, schema.outbox, schema.outbox.c.published_at.is_(None)), 0),
            timeout=10,
        )
        assert (await ajs.stream_info("WIFI")).cluster.leader != leader
        assert nc.connected_url.port != cluster.servers[leader].port  # the service failed over

        # The node comes back and catches up from its peers.
        cluster.servers[leader].start()

        async def caught_up():
            try:
                info = await ajs.stream_info("WIFI")
            except Exception:
                return False
            peers = {info.cluster.leader, *(r.name for r in info.cluster.replicas)}
            return (
                peers == set(NODES)
                and all(r.current and not r.offline and not r.lag for r in info.cluster.replicas)
                and info.state.messages == 400
            )

        assert await eventually(caught_up, timeout=60)
    finally:
        relay.stop()
        await consumers.stop(5)
        await asyncio.gather(relay_task, return_exceptions=True)
        await nc.close()
        await admin.close()
        await db.dispose()


async def _at_least(count, n):
    try:
        return await count() >= n
    except Exception:
        return False


async def _equals(count, n):
    try:
        return await count() == n
    except Exception:
        return False
