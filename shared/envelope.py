"""The CloudEvents 1.0 envelope (structured JSON mode) every HalloBot event travels in."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TYPE_PREFIX = "de.bottrop.hallobot."
CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event; `data` holds the catalog payload as JSON."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(None, max_length=200)
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time")
    @classmethod
    def _time_is_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone (RFC 3339)")
        return value.astimezone(UTC)

    @property
    def short_type(self) -> str:
        """The type without the `de.bottrop.hallobot.` prefix, e.g. `wifi.hotspot.registered`."""
        return self.type.removeprefix(TYPE_PREFIX)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def headers(self) -> dict[str, str]:
        """NATS headers of a published event: the server drops a re-publish with the same Nats-Msg-Id."""
        return {"Nats-Msg-Id": self.id, "Content-Type": CONTENT_TYPE}


def new_event_id() -> str:
    """A UUIDv7 (RFC 9562): unique like a UUIDv4, but time-ordered, so that inbox and outbox
    indexes grow at their end instead of touching a random page per event (measured: the inbox
    claim of a batch takes about half the time on SQLite)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (millis & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76
        | ((rand >> 62) & 0xFFF) << 64
        | 0b10 << 62
        | (rand & ((1 << 62) - 1))
    )
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    return datetime.now(UTC)
