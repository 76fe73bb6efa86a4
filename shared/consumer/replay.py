"""Replaying a dead letter to the one consumer that gave up on it: the records on the DLQ stream.

- The console asks with a *replay request* on `hallobot.dlq.replay.<consumer>`: a copy of the dead
  letter's original (subject, headers, body, where it was stored), the letter's sequence in the
  DLQ, who asked and when. It stays on the DLQ stream, which no public subject and no city system
  reaches; a request for a PRIVATE original expires with it (`Nats-TTL`), as the letter does.
- The owning service's consumer group pulls its requests through a durable consumer of its own
  (`<consumer>-replay`, shared/consumer/replay_loop.py) and handles the original like any message of
  that consumer: the same decoder, the same inbox claim (consumer, message id), the same handler.
  A message that was handled meanwhile (or a second request) finds its claim: nothing happens twice.
- The outcome goes to `hallobot.dlq.replayed.<consumer>`: handled, already handled, or failed (then
  the message is a dead letter again, with the attempts of both rounds and `replay_of`).

Nothing here does I/O: the group and the console publish what these functions build."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Literal

from nats.aio.msg import Msg
from pydantic import BaseModel, ConfigDict, Field

from shared.consumer.dead_letter import REDACTED, Origin
from shared.envelope import utcnow

REPLAY_PREFIX = "hallobot.dlq.replay."
OUTCOME_PREFIX = "hallobot.dlq.replayed."
LETTER_PREFIX = "hallobot.dlq."
Outcome = Literal["handled", "already_handled", "failed"]


def replay_subject(consumer: str) -> str:
    return REPLAY_PREFIX + consumer


def outcome_subject(consumer: str) -> str:
    return OUTCOME_PREFIX + consumer


def replay_consumer(consumer: str) -> str:
    """The durable consumer on the DLQ stream that takes `consumer`'s replay requests."""
    return f"{consumer}-replay"


def record_kind(subject: str) -> tuple[str, str] | None:
    """("letter" | "request" | "outcome", consumer) of a subject on the DLQ stream; None for others."""
    for prefix, kind in ((REPLAY_PREFIX, "request"), (OUTCOME_PREFIX, "outcome"), (LETTER_PREFIX, "letter")):
        if subject.startswith(prefix):
            rest = subject.removeprefix(prefix)
            return (kind, rest) if rest and "." not in rest else None
    return None


def why_not_replayable(letter: dict[str, Any]) -> str | None:
    """Why a dead letter cannot be replayed (None: it can). The original must be whole, and every
    header the consumer may need must be there: a credential redacted from the letter (a host's
    token) is gone, so the replay could only fail again."""
    if not isinstance(letter.get("original"), str) or not letter.get("consumer") or not letter.get("subject"):
        return "not a dead letter of a consumer"
    if letter.get("original_truncated"):
        return "the original was cut to fit the dead-letter stream"
    if any(value == REDACTED for value in (letter.get("headers") or {}).values()):
        return "a credential of the original was not kept"
    return None


class ReplayRequest(BaseModel):
    """What the console asks the owning consumer to handle again."""

    model_config = ConfigDict(extra="ignore")

    consumer: str = Field(min_length=1, max_length=100)
    dead_letter_seq: int = Field(ge=1)
    subject: str
    stream: str
    stream_seq: int
    attempts: int = Field(ge=0)
    stored_at: datetime | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    original: str
    original_encoding: Literal["utf-8", "base64"] = "utf-8"
    actor: str = Field(min_length=1, max_length=100)
    requested_at: datetime

    def data(self) -> bytes:
        return base64.b64decode(self.original) if self.original_encoding == "base64" else self.original.encode()

    def origin(self, attempts: int) -> Origin:
        return Origin(
            self.subject, self.stream, self.stream_seq, attempts, self.stored_at, dict(self.headers), self.data()
        )

    def message(self, attempts: int) -> Msg:
        """The original as the consumer's decoder sees a fetched message: its subject, headers, body
        and stream position (for a key made from it). It cannot be acked: the request is."""
        meta = Msg.Metadata(
            sequence=Msg.Metadata.SequencePair(consumer=0, stream=self.stream_seq),
            num_pending=0,
            num_delivered=attempts,
            timestamp=self.stored_at or self.requested_at,
            stream=self.stream,
            consumer=self.consumer,
        )
        return Msg(None, subject=self.subject, reply="", data=self.data(), headers=dict(self.headers), _metadata=meta)  # type: ignore[arg-type]


def replay_request(
    letter: dict[str, Any], letter_seq: int, actor: str, ttl_s: int | None
) -> tuple[str, bytes, dict[str, str]]:
    """(subject, body, headers) of the request to replay the dead letter at `letter_seq`. The same
    letter asked twice within the stream's dedup window is one request (`Nats-Msg-Id`)."""
    request = ReplayRequest(
        consumer=letter["consumer"],
        dead_letter_seq=letter_seq,
        subject=letter["subject"],
        stream=letter["stream"],
        stream_seq=letter["stream_seq"],
        attempts=letter.get("attempts") or 0,
        stored_at=letter.get("stored_at"),
        headers=letter.get("headers") or {},
        original=letter["original"],
        original_encoding=letter.get("original_encoding", "utf-8"),
        actor=actor,
        requested_at=utcnow(),
    )
    headers = {"Nats-Msg-Id": f"replay:{request.consumer}:{letter_seq}", "Content-Type": "application/json"}
    if ttl_s is not None:
        headers["Nats-TTL"] = str(max(1, ttl_s))
    return replay_subject(request.consumer), request.model_dump_json().encode(), headers


def outcome_record(
    request: ReplayRequest, request_seq: int, outcome: Outcome, dead_letter_again: int | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """(subject, body, headers) of what became of a replay request; it holds no personal data."""
    body = {
        "consumer": request.consumer,
        "dead_letter_seq": request.dead_letter_seq,
        "request_seq": request_seq,
        "outcome": outcome,
        "actor": request.actor,
        "at": utcnow().isoformat(),
        "dead_letter_again": dead_letter_again,
    }
    headers = {"Nats-Msg-Id": f"replayed:{request.consumer}:{request_seq}", "Content-Type": "application/json"}
    return outcome_subject(request.consumer), json.dumps(body).encode(), headers
