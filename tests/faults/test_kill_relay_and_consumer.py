"""SIGKILL of the processes that move events: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import schema
from tests.support.stream import event_ids, eventually, stream_messages, wait_for_count
from tests.test_consumer import publish_event
from tests.test_outbox_relay import write_events

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]


def start_worker(role: str, database_url: str, nats_url: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker", role, database_url, nats_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout.readline().strip() == "ready"
    return process


def sigkill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(20)


async def test_a_relay_killed_mid_batch_and_restarted_publishes_every_event_exactly_once(database_url, nats_server, js):
    db = await schema.create_schema(database_url)
    ids = await write_events(db, 6000, per_transaction=500)
    relay = start_worker("relay", database_url, nats_server.url)
    try:
        # Kill while a batch is out: some rows are in the stream but not yet marked as published.
        deadline = time.monotonic() + 30
        while (await js.stream_info("WIFI")).state.messages < 700 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        sigkill(relay)
        in_stream = (await js.stream_info("WIFI")).state.messages
        marked = len(ids) - await schema.count(db, schema.outbox, schema.outbox.c.published_at.is_(None))
        assert 0 < in_stream < len(ids)
        assert marked < in_stream, "the kill should land between publishing and marking a batch"

        relay = start_worker("relay", database_url, nats_server.url)
        assert await wait_for_count(js, "WIFI", len(ids), timeout=60) == len(ids)
        assert await eventually(lambda: _zero(schema.count(db, schema.outbox, schema.outbox.c.published_at.is_(None))))
        await asyncio.sleep(0.5)
        assert event_ids(await stream_messages(js, "WIFI")) == ids  # each once, in order
    finally:
        stop(relay)
        await db.dispose()


async def _zero(coro):
    return await coro == 0


async def test_a_consumer_killed_during_a_burst_applies_every_event_exactly_once(database_url, nats_server, js):
    db = await schema.create_schema(database_url)
    consumer = start_worker("consumer", database_url, nats_server.url)
    try:
        ids = [await publish_event(js, i) for i in range(2000)]
        await eventually(lambda: schema.count(db, schema.effects), timeout=30)
        sigkill(consumer)
        assert await schema.count(db, schema.effects) < len(ids)
        consumer = start_worker("consumer", database_url, nats_server.url)
        assert await eventually(lambda: _reaches(schema.count(db, schema.effects), len(ids)), timeout=60)
        await asyncio.sleep(2.5)  # past ack_wait: any unacked message would be redelivered by now
        assert await schema.count(db, schema.effects) == len(ids)
        assert await schema.count(db, schema.inbox) == len(ids)
    finally:
        stop(consumer)
        await db.dispose()


async def _reaches(coro, n):
    return await coro >= n
