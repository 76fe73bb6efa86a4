"""The console's side of the DLQ stream: list dead letters with what became of their replays, and ask
for a replay (shared/consumer/replay.py has the records, replay_loop.py the owning consumer's side).

Listing reads the newest `window` records of the stream (letters, requests, outcomes) with a
temporary pull consumer and folds them (`fold`, pure). A letter shows what an office may see of it:
consumer, reason, attempts, times, the original's subject, type and id; never the original's data."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from shared.consumer.replay import (
    LETTER_PREFIX,
    OUTCOME_PREFIX,
    REPLAY_PREFIX,
    record_kind,
    replay_consumer,
    replay_request,
    why_not_replayable,
)
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound

DLQ = "DLQ"
WINDOW = 5000  # records of the DLQ stream a listing looks at, newest first


class Record(NamedTuple):
    seq: int
    subject: str
    time: datetime | None
    data: bytes


@dataclass
class Replay:
    requested_by: str
    requested_at: datetime | None
    request_seq: int = 0
    outcome: str | None = None  # handled | already_handled | failed; None while it is under way
    outcome_at: datetime | None = None
    dead_letter_again: int | None = None


@dataclass
class DeadLetter:
    seq: int
    consumer: str
    reason: str
    attempts: int
    failed_at: datetime | None
    subject: str
    stream: str
    event_type: str | None
    event_id: str | None
    replay_of: int | None
    not_replayable: str | None
    replays: list[Replay] = field(default_factory=list)

    @property
    def replay(self) -> Replay | None:
        return self.replays[-1] if self.replays else None


def dead_letter_of(seq: int, body: dict[str, Any]) -> DeadLetter:
    event_type = event_id = None
    try:
        original = json.loads(body["original"]) if body.get("original_encoding") == "utf-8" else None
    except (ValueError, TypeError, KeyError, RecursionError):  # the original may be anything a sender sent,
        original = None  # e.g. JSON nested deeper than the decoder's recursion limit
    if isinstance(original, dict):
        event_type = original.get("type") if isinstance(original.get("type"), str) else None
        event_id = original.get("id") if isinstance(original.get("id"), str) else None
    return DeadLetter(
        seq=seq,
        consumer=str(body.get("consumer", "")),
        reason=str(body.get("reason", "")),
        attempts=int(body.get("attempts") or 0),
        failed_at=_time(body.get("failed_at")),
        subject=str(body.get("subject", "")),
        stream=str(body.get("stream", "")),
        event_type=event_type,
        event_id=event_id,
        replay_of=body.get("replay_of"),
        not_replayable=why_not_replayable(body),
    )


def fold(records: list[Record]) -> list[DeadLetter]:
    """Letters with their replays, newest letter first; records of letters outside are ignored."""
    letters: dict[int, DeadLetter] = {}
    for record in records:
        kind = record_kind(record.subject)
        try:
            body = json.loads(record.data)
        except ValueError:
            continue
        if kind is None or not isinstance(body, dict):
            continue
        if kind[0] == "letter":
            letters[record.seq] = dead_letter_of(record.seq, body)
            continue
        found = letters.get(body.get("dead_letter_seq") or 0)
        if found is None:
            continue
        if kind[0] == "request":
            found.replays.append(Replay(str(body.get("actor", "")), _time(body.get("requested_at")), record.seq))
            continue
        replay = next((r for r in found.replays if r.request_seq == body.get("request_seq")), None)
        if replay is not None:
            replay.outcome, replay.outcome_at = body.get("outcome"), _time(body.get("at"))
            replay.dead_letter_again = body.get("dead_letter_again")
    return sorted(letters.values(), key=lambda letter: letter.seq, reverse=True)


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


async def records(js: JetStreamContext, subjects: list[str], start_seq: int = 0, window: int = WINDOW) -> list[Record]:
    """The records of the DLQ stream on `subjects`, from `start_seq` (or the newest `window`) on."""
    state = (await js.stream_info(DLQ)).state
    if state.messages == 0:
        return []
    first = max(state.first_seq, start_seq or state.last_seq - window + 1)
    name = f"dlq-read-{uuid.uuid4().hex[:12]}"
    config = ConsumerConfig(
        name=name,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=first,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=30,
        mem_storage=True,
        filter_subjects=subjects,
    )
    info = await js.add_consumer(DLQ, config)
    out: list[Record] = []
    try:
        pull = await js.pull_subscribe_bind(name, stream=DLQ)
        pending = min(info.num_pending or 0, window)
        while len(out) < pending:
            for msg in await pull.fetch(min(500, pending - len(out)), timeout=5):
                meta = msg.metadata
                out.append(Record(meta.sequence.stream, msg.subject, meta.timestamp, msg.data))
        await pull.unsubscribe()
    finally:
        try:
            await js.delete_consumer(DLQ, name)
        except Exception:  # it goes by itself after inactive_threshold
            pass
    return out


def subjects_of(consumer: str | None) -> list[str]:
    if consumer is None:
        return [LETTER_PREFIX + ">"]
    return [LETTER_PREFIX + consumer, REPLAY_PREFIX + consumer, OUTCOME_PREFIX + consumer]


async def dead_letters(js: JetStreamContext, consumer: str | None = None, limit: int = 100) -> list[DeadLetter]:
    return fold(await records(js, subjects_of(consumer)))[:limit]


async def request_replay(js: JetStreamContext, seq: int, actor: str) -> DeadLetter:
    """Ask the consumer that gave up on the letter at `seq` to handle its original again. A letter
    asked for before is not asked again (its replay is under way or done: the answer says which)."""
    try:
        raw = await js.get_msg(DLQ, seq)
    except NotFoundError:
        raise NotFound("no such dead letter (it may have expired)") from None
    kind = record_kind(raw.subject or "")
    try:
        body = json.loads(raw.data or b"{}") if kind and kind[0] == "letter" else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise NotFound("no such dead letter (it may have expired)")
    letter = dead_letter_of(seq, body)
    if letter.not_replayable:
        raise Conflict(f"this dead letter cannot be replayed: {letter.not_replayable}")
    try:
        await js.consumer_info(DLQ, replay_consumer(letter.consumer))
    except NotFoundError:
        raise Conflict("the consumer of this dead letter takes no replays") from None
    earlier = fold([Record(seq, raw.subject or "", raw.time, raw.data or b"")] + await _after(js, letter, seq))
    if earlier[0].replays:
        return earlier[0]
    ttl = _remaining_ttl(raw.headers or {}, raw.time)
    subject, data, headers = replay_request(body, seq, actor, ttl)
    await js.publish(subject, data, headers=headers)
    return fold([Record(seq, raw.subject or "", raw.time, raw.data or b"")] + await _after(js, letter, seq))[0]


async def _after(js: JetStreamContext, letter: DeadLetter, seq: int) -> list[Record]:
    return await records(js, subjects_of(letter.consumer)[1:], start_seq=seq + 1)


def _remaining_ttl(headers: dict[str, str], stored: datetime | None) -> int | None:
    """A letter that expires (PRIVATE originals) hands its remaining time on to the request."""
    ttl = headers.get("Nats-TTL")
    if not ttl or not ttl.isdigit():
        return None
    age = (utcnow() - stored).total_seconds() if stored else 0.0
    return max(1, int(int(ttl) - age))


async def takes_replays(js: JetStreamContext, consumers: set[str]) -> set[str]:
    """Which of `consumers` take replays (their owning service runs a replay consumer on the DLQ)."""
    found = set()
    for consumer in consumers:
        try:
            await js.consumer_info(DLQ, replay_consumer(consumer))
        except NotFoundError:
            continue
        found.add(consumer)
    return found
