"""The feed's ids and frames, and reading a stretch of a stream again (see feed.py)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncGenerator, Sequence

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sse_starlette import ServerSentEvent

FEED_STREAMS = (
    ("DIRECTORY", "hallobot.directory.>"),
    ("EVENTS", "hallobot.events.>"),
    ("WIFI", "hallobot.wifi.hotspot.>"),
    ("FAIRTRADE", "hallobot.fairtrade.>"),
)
# Not for the public page: a self-registered profile is shown only once an operator published it.
HIDDEN_TYPES = {"de.bottrop.hallobot.directory.business.registered"}
CATCH_UP_BATCH = 256  # messages per fetch while a resuming client reads what it missed
CATCH_UP_IDLE_S = 2.0  # a fetch that brings nothing for this long: the rest of the gap no longer exists


def parse_position(last_event_id: str | None) -> list[int] | None:
    """`12-40-1002-3` → [12, 40, 1002, 3]; None for a missing or malformed id (start from now)."""
    if not last_event_id:
        return None
    parts = last_event_id.strip().split("-")
    if len(parts) != len(FEED_STREAMS) or not all(part.isdigit() for part in parts):
        return None
    return [int(part) for part in parts]


def format_position(position: Sequence[int]) -> str:
    return "-".join(str(seq) for seq in position)


def frame(position: Sequence[int], event: str, data: str) -> bytes:
    return ServerSentEvent(data=data, id=format_position(position), event=event).encode()


def public_data(raw: bytes) -> str | None:
    """The event's JSON text, or None when it is not for the public (hidden type, not JSON)."""
    data = raw.decode("utf-8", "replace")
    try:
        event_type = json.loads(data).get("type")
    except (ValueError, AttributeError):
        return None
    return None if event_type in HIDDEN_TYPES else data


async def replay(
    js: JetStreamContext, stream: str, subject: str, after: int, until: int
) -> AsyncGenerator[tuple[int, bytes], None]:
    """Messages of one stream with sequence in (after, until], from JetStream, in batches."""
    # A named consumer created here and bound to (public API): deleting it needs its name, which
    # `pull_subscribe` would keep in a private attribute only.
    name = f"feed-replay-{uuid.uuid4().hex}"
    await js.add_consumer(
        stream,
        config=ConsumerConfig(
            name=name,
            filter_subject=subject,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=60.0,
            mem_storage=True,
            num_replicas=1,
        ),
    )
    subscription = await js.pull_subscribe_bind(name, stream=stream)
    try:
        while True:
            try:
                messages = await subscription.fetch(CATCH_UP_BATCH, timeout=CATCH_UP_IDLE_S)
            except TimeoutError:
                return  # the rest of the gap was deleted from the stream
            for msg in messages:
                meta = msg.metadata
                seq = meta.sequence.stream
                if seq > until:
                    return  # the live queue has it
                yield seq, msg.data
                if seq >= until or meta.num_pending == 0:
                    return
    finally:
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, name)
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
