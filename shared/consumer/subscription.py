"""What a service subscribes to (`Subscription`) and how often a failing message is tried (`DeliveryPolicy`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel

from shared.consumer.delivery import BatchHandler, Decoder, Handler, decode_cloudevent


@dataclass(frozen=True)
class Subscription:
    """A durable pull consumer on one subject filter, shared by all instances of a service."""

    name: str  # durable consumer name and inbox key, e.g. "notifications-wifi-status"
    stream: str
    subject: str
    handler: Handler | None = None
    # Optional: handles all new deliveries of a batch at once (e.g. one executemany); preferred
    # over `handler` when set. A failing batch is retried one delivery at a time through it.
    batch_handler: BatchHandler | None = None
    decode: Decoder = decode_cloudevent
    description: str = ""
    payload_types: tuple[type[BaseModel], ...] = field(default_factory=tuple)  # for the AsyncAPI document
    batch_size: int = 100
    # Whether an operator may replay its dead letters (a durable consumer of its replay requests on
    # the DLQ stream, shared/consumer/replay.py). Off where a replay could only fail again.
    replayable: bool = True

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.batch_handler is None):
            raise ValueError(f"subscription {self.name}: give exactly one of handler, batch_handler")


@dataclass
class DeliveryPolicy:
    """Redelivery of a failing message: `backoff_s` is the server-side delay after the n-th try
    (the last one repeats), `max_deliver` tries in all before the dead-letter stream."""

    max_deliver: int = 5
    backoff_s: list[float] = field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0])
    ack_wait_s: float = 30.0
    fetch_timeout_s: float = 5.0

    def delay_after(self, attempt: int) -> float:
        return self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)] if self.backoff_s else 0.0

    def consumer_config(self, sub: Subscription) -> ConsumerConfig:
        """The durable consumer on the server; its max_deliver, a little above ours, is a backstop for crash loops."""
        return ConsumerConfig(
            durable_name=sub.name,
            filter_subject=sub.subject,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_s,
            max_deliver=self.max_deliver + 3,
            max_ack_pending=max(1000, sub.batch_size * 4),
        )

    def replay_config(self, name: str, subject: str) -> ConsumerConfig:
        """The durable consumer of one consumer's replay requests on the DLQ stream: only requests
        made from now on (an old request is no reason to act when a service first starts one)."""
        return ConsumerConfig(
            durable_name=name,
            filter_subject=subject,
            deliver_policy=DeliverPolicy.NEW,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_s,
            max_deliver=self.max_deliver + 3,
            max_ack_pending=100,
        )
