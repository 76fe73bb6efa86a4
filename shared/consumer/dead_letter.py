"""The dead letter: the original message with the reason it failed, for `hallobot.dlq.<consumer>`."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.aio.msg import Msg

from shared.envelope import utcnow
from shared.streams import STREAMS_BY_NAME

SECRET_HEADERS = frozenset({"authorization", "nats-authorization", "x-api-key"})
REDACTED = "[redacted]"
MAX_REASON = 2000
# The dead letter must itself fit under the broker's max_payload (1 MiB by default), base64 and
# headers included: a larger original is cut and the letter says so.
MAX_ORIGINAL_BYTES = 64 * 1024
# Dead letters of these streams hold personal data: they expire when the original would have
# (a per-message TTL, `Nats-TTL`; the DLQ stream allows it), not after the DLQ's own 90 days.
PERSONAL_STREAMS = frozenset({"PRIVATE"})


def letter_subject(consumer: str) -> str:
    return f"hallobot.dlq.{consumer}"


@dataclass(frozen=True)
class Origin:
    """Where a dead-lettered message came from, and how often it was tried."""

    subject: str
    stream: str
    stream_seq: int
    attempts: int
    stored_at: datetime | None
    headers: dict[str, str] | None
    data: bytes

    @classmethod
    def of(cls, msg: Msg) -> Origin:
        meta = msg.metadata
        return cls(
            msg.subject, meta.stream, meta.sequence.stream, meta.num_delivered, meta.timestamp, msg.headers, msg.data
        )


def dead_letter(consumer: str, msg: Msg, reason: str) -> tuple[str, bytes, dict[str, str]]:
    """(subject, body, headers) of the letter for `msg`, which `consumer` gave up on for `reason`."""
    origin = Origin.of(msg)
    return letter(consumer, origin, reason, f"dlq:{consumer}:{origin.stream}:{origin.stream_seq}")


def letter(
    consumer: str, origin: Origin, reason: str, msg_id: str, extra: dict[str, Any] | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """The letter of `origin`; `extra` adds what a replay knows (which letter it replayed, who asked)."""
    reason = reason[:MAX_REASON]
    body = {
        "consumer": consumer,
        "reason": reason,
        "subject": origin.subject,
        "stream": origin.stream,
        "stream_seq": origin.stream_seq,
        "attempts": origin.attempts,
        "failed_at": utcnow().isoformat(),
        "stored_at": origin.stored_at.isoformat() if origin.stored_at else None,
        "headers": _without_secrets(origin.headers),
        **_original(origin.data),
        **(extra or {}),
    }
    headers = {
        "Nats-Msg-Id": msg_id,
        "Content-Type": "application/json",
        "Hallobot-Dlq-Reason": reason[:200].replace("\n", " "),
    }
    if origin.stream in PERSONAL_STREAMS:
        headers["Nats-TTL"] = str(remaining_retention_s(origin.stream, origin.stored_at))
    return letter_subject(consumer), json.dumps(body, ensure_ascii=False).encode(), headers


def remaining_retention_s(stream: str, stored_at: datetime | None) -> int:
    """Whole seconds until the original leaves `stream` (at least one)."""
    keep = STREAMS_BY_NAME[stream].max_age_s or 0
    age = (utcnow() - stored_at).total_seconds() if stored_at else 0.0
    return max(1, int(keep - age))


def _without_secrets(headers: dict[str, str] | None) -> dict[str, str]:
    """Credentials a sender put in headers (a host's bearer token) never reach the DLQ stream."""
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in (headers or {}).items()}


def _original(data: bytes) -> dict[str, object]:
    kept = data[:MAX_ORIGINAL_BYTES]
    size = {"original_bytes": len(data), "original_truncated": len(data) > len(kept)}
    try:
        return {"original": kept.decode("utf-8"), "original_encoding": "utf-8", **size}
    except UnicodeDecodeError:
        return {"original": base64.b64encode(kept).decode(), "original_encoding": "base64", **size}
