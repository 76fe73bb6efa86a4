"""Helpers to look into JetStream from a test."""

from __future__ import annotations

import asyncio
import json
import time

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy


async def stream_messages(js: JetStreamContext, stream: str, subject: str = ">"):
    """Every message in `stream` (in stream order), read with an ephemeral ordered consumer."""
    if (await js.stream_info(stream)).state.messages == 0:
        return []
    psub = await js.pull_subscribe(
        subject if subject != ">" else "",
        stream=stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30),
    )
    out = []
    try:
        total = (await psub.consumer_info()).num_pending  # what matches `subject`, not the whole stream
        while len(out) < total:
            msgs = await psub.fetch(min(500, total - len(out)), timeout=5)
            for msg in msgs:
                await msg.ack()
                out.append(msg)
    finally:
        await psub.unsubscribe()
    return out


async def wait_for_count(js: JetStreamContext, stream: str, expected: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    count = -1
    while time.monotonic() < deadline:
        try:
            count = (await js.stream_info(stream)).state.messages
        except Exception:
            count = -1
        if count >= expected:
            return count
        await asyncio.sleep(0.05)
    return count


async def eventually(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll an async predicate until it is truthy; return its last value."""
    deadline = time.monotonic() + timeout
    value = await predicate()
    while not value and time.monotonic() < deadline:
        await asyncio.sleep(interval)
        value = await predicate()
    return value


def event_ids(msgs) -> list[str]:
    return [json.loads(m.data)["id"] for m in msgs]
