"""The feed's ids and frames, and reading a stretch of a stream again (see feed.py)."""

from __future__ import annotations

import contextlib
import json
import uuid
from bisect import bisect_left
from collections.abc import AsyncGenerator, Sequence

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sse_starlette import ServerSentEvent

from services.notifications.domain_public import VISIBILITY_AFTER, business_of, public_about_business
from services.notifications.sentences import Names, sentence

FEED_STREAMS = (
    ("DIRECTORY", "hallobot.directory.>"),
    ("EVENTS", "hallobot.events.>"),
    ("WIFI", "hallobot.wifi.hotspot.>"),
    ("FAIRTRADE", "hallobot.fairtrade.>"),
)
# Not for the public page: a self-registered profile is shown only once an operator published it.
HIDDEN_TYPES = {"de.bottrop.hallobot.directory.business.registered"}
TYPE_PREFIX = "de.bottrop.hallobot."
# The subjects that move a profile in or out of public view (domain_public.VISIBILITY_AFTER).
VISIBILITY_SUBJECTS = [f"hallobot.{short}.>" for short in VISIBILITY_AFTER]
MAX_SEQUENCE = 2**64 - 1  # JetStream sequences are unsigned 64-bit
CATCH_UP_BATCH = 256  # messages per fetch while a resuming client reads what it missed
CATCH_UP_IDLE_S = 2.0  # a fetch that brings nothing for this long: the rest of the gap no longer exists


def parse_position(last_event_id: str | None) -> list[int] | None:
    """`12-40-1002-3` → [12, 40, 1002, 3]; None for a missing id (start from now). A malformed one
    (not four decimal sequences) raises ValueError: the route answers 400."""
    if not last_event_id or not last_event_id.strip():
        return None
    parts = last_event_id.strip().split("-")
    if len(parts) != len(FEED_STREAMS) or not all(
        part.isascii() and part.isdigit() and len(part) <= 20 for part in parts
    ):
        raise ValueError("Last-Event-ID is four stream sequences, e.g. 12-40-1002-3")
    position = [int(part) for part in parts]
    if max(position) > MAX_SEQUENCE:
        raise ValueError("Last-Event-ID holds a sequence past any stream's end")
    return position


def format_position(position: Sequence[int]) -> str:
    return "-".join(str(seq) for seq in position)


def frame(position: Sequence[int], event: str, data: str) -> bytes:
    return ServerSentEvent(data=data, id=format_position(position), event=event).encode()


class Profiles:
    """Which business profiles were published at which DIRECTORY sequence, from the publish,
    unpublish and archive events (noted in stream order: the broadcaster reads them from the stream's
    start when it starts, then live). An event about a profile is public only if the profile was
    published just before it (domain_public.public_about_business): exact for live events and for replays
    from any point, whatever text the event carries."""

    def __init__(self) -> None:
        self._changes: dict[str, tuple[list[int], list[bool]]] = {}  # business → (sequences, published after)

    def note(self, seq: int, short_type: str, business_id: str) -> None:
        published = VISIBILITY_AFTER.get(short_type)
        if published is None or not business_id:
            return
        seqs, states = self._changes.setdefault(business_id, ([], []))
        if not seqs or seq > seqs[-1]:  # a repeat (restarted reader) is noted once
            seqs.append(seq)
            states.append(published)

    def public(self, seq: int, short_type: str, business_id: str) -> bool:
        seqs, states = self._changes.get(business_id, ([], []))
        before = bisect_left(seqs, seq)  # the changes before this event
        return public_about_business(short_type, before > 0 and states[before - 1])


def public_data(
    raw: bytes, seq: int = 0, profiles: Profiles | None = None, note: bool = False, names: Names | None = None
) -> str | None:
    """The event's JSON text, or None when it is not for the public: a hidden type, an event about a
    profile that is not published (with `profiles`; `note`: a live event, remembered first), not JSON.
    With `names`, the event also carries its sentence for people, `textde` and `texten` (CloudEvents
    extension attributes: strings, lowercase names), which the live page shows as it is."""
    data = raw.decode("utf-8", "replace")
    try:
        event = json.loads(data)
        event_type = event.get("type")
    except (ValueError, AttributeError):
        return None
    if event_type in HIDDEN_TYPES:
        return None
    short = event_type.removeprefix(TYPE_PREFIX) if isinstance(event_type, str) else ""
    payload = event.get("data")
    payload = payload if isinstance(payload, dict) else {}
    if profiles is not None and isinstance(event_type, str):
        business_id = business_of(short, payload)
        if business_id is not None:
            if note:
                profiles.note(seq, short, business_id)
            if not profiles.public(seq, short, business_id):
                return None
    if names is not None:
        names.learn(short, payload)
        event["textde"], event["texten"] = (sentence(short, payload, language, names) for language in ("de", "en"))
        return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return data


async def replay(
    js: JetStreamContext, stream: str, subject: str | list[str], after: int, until: int
) -> AsyncGenerator[tuple[int, bytes], None]:
    """Messages of one stream (on `subject`, or any of a list) with sequence in (after, until], from
    JetStream, in batches."""
    # A named consumer created here and bound to (public API): deleting it needs its name, which
    # `pull_subscribe` would keep in a private attribute only.
    name = f"feed-replay-{uuid.uuid4().hex}"
    info = await js.add_consumer(
        stream,
        config=ConsumerConfig(
            name=name,
            filter_subject=subject if isinstance(subject, str) else None,
            filter_subjects=None if isinstance(subject, str) else subject,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=60.0,
            mem_storage=True,
            num_replicas=1,
        ),
    )
    if not info.num_pending:  # nothing on these subjects in the stretch: no fetch waiting for its timeout
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, name)
        return
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
