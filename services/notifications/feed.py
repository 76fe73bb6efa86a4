"""The public feed as Server-Sent Events, resumable from the streams themselves.

There is no FEED stream: a client follows the four public domain streams with one ordered
consumer each, and the SSE id is the vector of stream positions it has seen, e.g. `12-40-1002-3`
(DIRECTORY-EVENTS-WIFI-FAIRTRADE). A reconnect with `Last-Event-ID` restarts each stream right
after its position, so it replays exactly what was missed, from JetStream and not from memory,
and survives a restart of this service. No extra stream means no second copy of every event and
no stream for deploy/ to replicate; the price is four consumers per open page.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

log = logging.getLogger("hallobot.notifications.feed")

FEED_STREAMS = (
    ("DIRECTORY", "hallobot.directory.>"),
    ("EVENTS", "hallobot.events.>"),
    ("WIFI", "hallobot.wifi.hotspot.>"),
    ("FAIRTRADE", "hallobot.fairtrade.>"),
)
# Not for the public page: a self-registered profile is shown only once an operator published it.
HIDDEN_TYPES = {"de.bottrop.hallobot.directory.business.registered"}
QUEUE_LIMIT = 10_000  # a client this far behind is dropped; it resumes from the stream on reconnect


def parse_position(last_event_id: str | None) -> list[int] | None:
    """`12-40-1002-3` → [12, 40, 1002, 3]; None for a missing or malformed id (start from now)."""
    if not last_event_id:
        return None
    parts = last_event_id.strip().split("-")
    if len(parts) != len(FEED_STREAMS) or not all(part.isdigit() for part in parts):
        return None
    return [int(part) for part in parts]


def format_position(position: list[int]) -> str:
    return "-".join(str(seq) for seq in position)


@dataclass(frozen=True)
class FeedItem:
    id: str
    event: str  # "ready" once at the start, then "message"
    data: str


async def follow(js: JetStreamContext, last_event_id: str | None) -> AsyncIterator[FeedItem]:
    """Yield a `ready` item with the starting position, then every public event after it."""
    wanted = parse_position(last_event_id)
    position: list[int] = []
    queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_LIMIT)
    overflow = asyncio.Event()
    subscriptions = []
    try:
        for index, (stream, subject) in enumerate(FEED_STREAMS):
            state = (await js.stream_info(stream)).state
            start = state.last_seq if wanted is None else min(wanted[index], state.last_seq)
            position.append(start)

            async def put(msg, index=index) -> None:
                try:
                    queue.put_nowait((index, msg))
                except asyncio.QueueFull:
                    overflow.set()

            subscriptions.append(await js.subscribe(
                subject, stream=stream, cb=put, ordered_consumer=True,
                config=ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start + 1),
            ))
        yield FeedItem(format_position(position), "ready", json.dumps({"streams": [s for s, _ in FEED_STREAMS]}))
        while not overflow.is_set():
            index, msg = await queue.get()
            seq = msg.metadata.sequence.stream
            if seq <= position[index]:
                continue  # an ordered consumer's reset may repeat what we already passed on
            position[index] = seq
            data = msg.data.decode("utf-8", "replace")
            try:
                event_type = json.loads(data).get("type")
            except ValueError:
                continue
            if event_type in HIDDEN_TYPES:
                continue
            yield FeedItem(format_position(position), "message", data)
        log.warning("feed client too slow, dropped; it will resume from its Last-Event-ID")
    finally:
        for subscription in subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception:
                pass
