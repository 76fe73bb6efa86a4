"""The one rate limiter (shared/ratelimit/) against a real nats-server: exact under concurrency from
two connections (two instances), keys without raw addresses, and a broker that does not answer lets
requests through instead of stopping them."""

from __future__ import annotations

import asyncio
import time

import nats
import pytest

from shared.errors import TooManyRequests
from shared.ratelimit import Limit, RateLimiter
from tests.support.nats import NatsServer, running_nats
from tests.support.stream import eventually


@pytest.fixture(scope="module")
def limit_nats(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


@pytest.fixture
async def two_instances(limit_nats):
    """Two limiters of one service, each on its own connection, as two processes would be."""
    connections = [await nats.connect(limit_nats.url) for _ in range(2)]
    limiters = []
    for nc in connections:
        limiter = RateLimiter("abuse", secret="a-shared-operator-token-123")
        limiter.connect(lambda nc=nc: nc)
        limiters.append(limiter)
    yield limiters, connections[0]
    for nc in connections:
        await nc.close()


async def test_concurrent_hits_from_two_instances_take_exactly_the_limit(two_instances):
    (a, b), _ = two_instances
    limit = Limit("test-concurrent", 10, 60)
    waits = await asyncio.gather(*(limiter.acquire(limit, "203.0.113.7") for limiter in [a, b] * 20))
    assert sum(1 for wait in waits if wait == 0) == 10
    assert all(0 < wait <= 60 for wait in waits if wait)


async def test_an_instance_sets_its_next_hit_against_what_it_wrote_and_reads_only_after_another_wrote(
    two_instances,
):
    (a, b), _ = two_instances
    limit = Limit("test-remembered", 4, 60)
    reads = {id(a): 0, id(b): 0}
    for limiter in (a, b):
        original = limiter.storage._read

        async def counted(key, limiter=limiter, original=original):
            reads[id(limiter)] += 1
            return await original(key)

        limiter.storage._read = counted
    await a.check(limit, "hotspot-7")
    await a.check(limit, "hotspot-7")
    assert reads[id(a)] == 0  # a new key, then the one a wrote itself: no read
    await b.check(limit, "hotspot-7")  # b has not written it: create refused, read, compare-and-set
    assert reads[id(b)] == 1
    await a.check(limit, "hotspot-7")  # what a remembers is stale: its compare-and-set is refused, it reads
    assert reads[id(a)] == 1
    with pytest.raises(TooManyRequests):  # 4 counted across both instances: the fifth is refused
        await a.check(limit, "hotspot-7")


async def test_a_refused_hit_names_the_limit_and_when_to_come_back(two_instances):
    (a, b), _ = two_instances
    limit = Limit("test-refusal", 2, 120)
    await a.check(limit, "203.0.113.8")
    await b.check(limit, "203.0.113.8")
    with pytest.raises(TooManyRequests, match="test-refusal: 2 per 120 s") as refused:
        await a.check(limit, "203.0.113.8")
    assert 100 < refused.value.retry_after_s <= 120
    await a.check(limit, "203.0.113.99")  # another client has its own count


async def test_the_bucket_holds_no_raw_address(two_instances):
    (a, _), nc = two_instances
    await a.acquire(Limit("test-pseudonyms", 3, 60), "198.51.100.23")
    kv = await nc.jetstream().key_value("RATELIMIT_ABUSE")
    keys = await kv.keys()
    assert keys and not any("198.51.100.23" in key for key in keys)
    assert any(a.pseudonym("198.51.100.23") in key for key in keys)


async def test_a_broker_that_is_gone_lets_requests_through_at_once_and_counts_again_when_back(tmp_path):
    server = NatsServer(tmp_path / "nats").start()
    nc = await nats.connect(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    try:
        limiter = RateLimiter("abuse-down", secret=None, pause_s=0)
        limiter.connect(lambda: nc)
        limit = Limit("test-down", 1, 60)
        assert await limiter.acquire(limit, "203.0.113.1") == 0  # counted while the broker is up
        server.kill()
        assert await eventually(lambda: _async(not nc.is_connected), timeout=10)
        started = time.monotonic()
        for _ in range(3):  # over the limit, but nobody can count: let through
            assert await limiter.acquire(limit, "203.0.113.1") == 0
        assert time.monotonic() - started < 0.5, "a request must not wait for a broker that is gone"
        server.start()  # same port, same store: the bucket is in memory, so the count is gone too
        assert await eventually(lambda: _async(nc.is_connected), timeout=20)
        # The first call may find the bucket gone (and is let through); the limiter makes it anew.
        waits = [await limiter.acquire(limit, "203.0.113.2") for _ in range(3)]
        assert waits[-1] > 0, "counting again once the broker is back"
    finally:
        await nc.close()
        server.kill()


async def _async(value):
    return value
