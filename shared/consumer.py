"""Idempotent JetStream consumers with bounded retries and a dead-letter stream.

Delivery policy (chosen on purpose, see DESIGN.md):
- A batch of messages is handled in one database transaction; each message first claims its id in
  the inbox, so a redelivered message finds its claim and its effects are not applied again.
- When the batch transaction fails, each message is retried alone so that one bad message cannot
  hold back the others. A failing message is nak'ed with a growing delay (backoff) and redelivered;
  when it has been tried `max_deliver` times it goes to the DLQ stream with the reason, then acked.
- A message that cannot be decoded (not JSON, not a CloudEvent, payload not matching the catalog)
  or whose handler raises `PermanentError` goes to the DLQ at once: retrying cannot help it.
- The server's own max_deliver is set a little above ours as a backstop for crash loops.
- Shutdown stops fetching and lets the batch in hand finish (bounded by `graceful_timeout`).

We pull with nats-py directly rather than through FastStream's batch subscriber: nats-py's fetch
returns as soon as messages are there, which keeps latency low while still batching under load.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, ValidationError
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.catalog import EventData, UnknownEventType, payload_of
from shared.db import Database
from shared.envelope import CloudEvent, utcnow
from shared.inbox import claim_many
from shared.metrics import CONSUMED, DEAD_LETTERS, HANDLER_SECONDS

log = logging.getLogger("hallobot.consumer")


class PermanentError(Exception):
    """Retrying cannot help this message: it goes to the dead-letter stream at once."""


class MalformedMessage(PermanentError):
    """The message cannot be decoded into what the consumer expects."""


class Delivery(NamedTuple):
    """One decoded message as a handler sees it (a named tuple: one is built per message, and a
    frozen dataclass took three times as long to build)."""

    message_id: str
    subject: str
    payload: Any  # a catalog EventData, or the subscription's own model (or what `json_decoder` made of it)
    event: CloudEvent | None = None


Handler = Callable[[AsyncSession, Delivery], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, list[Delivery]], Awaitable[None]]
Decoder = Callable[[Msg], Delivery]


def decode_cloudevent(msg: Msg) -> Delivery:
    """Decode a CloudEvent and validate its payload against the catalog."""
    try:
        event = CloudEvent.model_validate_json(msg.data)
        payload: EventData = payload_of(event)
    except (ValidationError, UnknownEventType, ValueError) as exc:
        raise MalformedMessage(_short(exc)) from exc
    return Delivery(event.id, msg.subject, payload, event)


def json_decoder(
    model: type[BaseModel],
    key: Callable[[Msg, BaseModel], str] | None = None,
    payload: Callable[[Msg, BaseModel], Any] | None = None,
) -> Decoder:
    """Decode plain JSON (e.g. a host's report) into `model`; the id is Nats-Msg-Id or the stream seq.
    `payload`, when given, makes the handler's payload from the message and the validated model
    (e.g. adds what the subject and headers say)."""

    def decode(msg: Msg) -> Delivery:
        try:
            data = model.model_validate_json(msg.data)
        except ValidationError as exc:
            raise MalformedMessage(_short(exc)) from exc
        message_id = key(msg, data) if key else message_key(msg)
        return Delivery(message_id, msg.subject, payload(msg, data) if payload else data)

    return decode


def message_key(msg: Msg) -> str:
    """The inbox key of a message: its Nats-Msg-Id, else `<stream>:<stream sequence>`."""
    header = (msg.headers or {}).get("Nats-Msg-Id")
    return header or _stream_position(msg)


def _stream_position(msg: Msg) -> str:
    """`<stream>:<stream sequence>` read straight from the ack subject: nats-py's `msg.metadata`
    builds a whole object with a datetime for it, which measured 12 µs per message.

    The ack subject is `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`,
    or, from newer servers, the same with `<domain>.<account hash>` after `ACK` and a token at the end."""
    tokens = (msg.reply or "").split(".")
    if len(tokens) == 9:
        return f"{tokens[2]}:{tokens[5]}"
    if len(tokens) >= 12:
        return f"{tokens[4]}:{tokens[7]}"
    return f"{msg.metadata.stream}:{msg.metadata.sequence.stream}"


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'message'}: {err['msg']}" for err in exc.errors()[:5]
        )
    return str(exc)[:500]


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

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.batch_handler is None):
            raise ValueError(f"subscription {self.name}: give exactly one of handler, batch_handler")


@dataclass
class DeliveryPolicy:
    max_deliver: int = 5
    backoff_s: list[float] = field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0])
    ack_wait_s: float = 30.0
    fetch_timeout_s: float = 5.0

    def delay_after(self, attempt: int) -> float:
        return self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)] if self.backoff_s else 0.0


class ConsumerGroup:
    """Runs a service's subscriptions against its database and inbox."""

    def __init__(
        self,
        db: Database,
        inbox: Table,
        jetstream: Callable[[], JetStreamContext],
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.db, self.inbox, self.jetstream = db, inbox, jetstream
        self.policy = policy or DeliveryPolicy()
        self.subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task] = []
        self._pulls: list = []
        self._running = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def add(self, subscription: Subscription) -> None:
        self.subscriptions.append(subscription)

    def consumer_config(self, sub: Subscription) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=sub.name,
            filter_subject=sub.subject,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.policy.ack_wait_s,
            max_deliver=self.policy.max_deliver + 3,
            max_ack_pending=max(1000, sub.batch_size * 4),
        )

    async def start(self) -> None:
        self._running = True
        js = self.jetstream()
        for sub in self.subscriptions:
            pull = await js.pull_subscribe(
                sub.subject, durable=sub.name, stream=sub.stream, config=self.consumer_config(sub)
            )
            self._pulls.append(pull)
            self._tasks.append(asyncio.create_task(self._pull_loop(sub, pull), name=f"consumer:{sub.name}"))

    async def stop(self, graceful_timeout: float = 10.0) -> None:
        """Stop fetching; wait (bounded) for batches in hand; unacked messages get redelivered."""
        self._running = False
        try:
            await asyncio.wait_for(self._idle.wait(), graceful_timeout)
        except TimeoutError:
            log.warning("graceful timeout: in-flight messages will be redelivered")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        # Unsubscribe the pull subscriptions: a message or status reply that arrived after the last
        # fetch would otherwise sit in nats-py's queue, and draining the connection at shutdown waits
        # for that queue to empty (30 s, seen under `hallobot up`). Such a message was never handled
        # and is redelivered after ack_wait.
        for pull in self._pulls:
            try:
                await pull.unsubscribe()
            except Exception as exc:  # connection already closed: nothing left to drain
                log.debug("unsubscribe at stop failed", extra={"error": repr(exc)})
        self._pulls.clear()

    async def _pull_loop(self, sub: Subscription, pull) -> None:
        # Fetch, handle, fetch: prefetching the next batch during the handling was measured and
        # made it slower here (parsing the next batch competes with the database hops for the loop).
        while self._running:
            try:
                msgs = await pull.fetch(sub.batch_size, timeout=self.policy.fetch_timeout_s)
            except (TimeoutError, NatsTimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker away: nats-py reconnects meanwhile
                log.warning("fetch failed", extra={"consumer": sub.name, "error": repr(exc)})
                await asyncio.sleep(0.5)
                continue
            if not self._running:
                for msg in msgs:  # hand them back at once to another instance (or after restart)
                    await msg.nak()
                return
            self._in_flight += 1
            self._idle.clear()
            try:
                await self.handle_batch(sub, msgs)
            except Exception as exc:  # never let one batch kill the consumer
                log.exception("batch failed unexpectedly", extra={"consumer": sub.name, "error": repr(exc)})
            finally:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.set()

    async def handle_batch(self, sub: Subscription, msgs: list[Msg]) -> None:
        started = time.perf_counter()
        decoded: list[tuple[Msg, Delivery]] = []
        for msg in msgs:
            try:
                delivery = sub.decode(msg)
            except PermanentError as exc:
                await self._dead_letter(sub, msg, f"malformed: {exc}")
                continue
            decoded.append((msg, delivery))
        if len(decoded) == 1:
            await self._apply_one(sub, *decoded[0])
        elif decoded:
            try:
                await self._apply(sub, decoded)
            except Exception:
                # Something in the batch failed: retry each message alone to find and isolate it.
                for msg, delivery in decoded:
                    await self._apply_one(sub, msg, delivery)
            else:
                for msg, _ in decoded:
                    await msg.ack()
                CONSUMED.labels(sub.name, "ok").inc(len(decoded))
        HANDLER_SECONDS.labels(sub.name).observe(time.perf_counter() - started)

    async def _apply(self, sub: Subscription, decoded: list[tuple[Msg, Delivery]]) -> None:
        async with self.db.transaction() as session:
            claimed = await claim_many(session, self.inbox, sub.name, [d.message_id for _, d in decoded])
            fresh = []
            for _, delivery in decoded:
                if delivery.message_id in claimed:
                    claimed.discard(delivery.message_id)  # a copy later in the same batch is skipped
                    fresh.append(delivery)
            if sub.batch_handler is not None:
                if fresh:
                    await sub.batch_handler(session, fresh)
            else:
                for delivery in fresh:
                    await sub.handler(session, delivery)

    async def _apply_one(self, sub: Subscription, msg: Msg, delivery: Delivery) -> None:
        try:
            await self._apply(sub, [(msg, delivery)])
        except PermanentError as exc:
            await self._dead_letter(sub, msg, f"rejected: {exc}")
        except Exception as exc:
            attempt = msg.metadata.num_delivered or 1  # parsed only on failure: it costs per message
            if attempt >= self.policy.max_deliver:
                await self._dead_letter(sub, msg, f"failed after {attempt} attempts: {exc!r}")
            else:
                delay = self.policy.delay_after(attempt)
                log.warning(
                    "handler failed, will retry",
                    extra={
                        "consumer": sub.name,
                        "message_id": delivery.message_id,
                        "attempt": attempt,
                        "retry_in_s": delay,
                        "error": repr(exc),
                    },
                )
                CONSUMED.labels(sub.name, "retry").inc()
                await msg.nak(delay=delay)
        else:
            await msg.ack()
            CONSUMED.labels(sub.name, "ok").inc()

    async def _dead_letter(self, sub: Subscription, msg: Msg, reason: str) -> None:
        """Publish the original with its reason to `hallobot.dlq.<consumer>`, then ack it.

        If the DLQ cannot be written (broker away), the message is nak'ed and comes back later;
        it is never acked without having landed in the DLQ."""
        meta = msg.metadata
        reason = reason[:MAX_REASON]
        body = {
            "consumer": sub.name,
            "reason": reason,
            "subject": msg.subject,
            "stream": meta.stream,
            "stream_seq": meta.sequence.stream,
            "attempts": meta.num_delivered,
            "failed_at": utcnow().isoformat(),
            "headers": _without_secrets(msg.headers),
            **_original(msg.data),
        }
        headers = {
            "Nats-Msg-Id": f"dlq:{sub.name}:{meta.stream}:{meta.sequence.stream}",
            "Content-Type": "application/json",
            "Hallobot-Dlq-Reason": reason[:200].replace("\n", " "),
        }
        payload = json.dumps(body, ensure_ascii=False).encode()
        try:
            await self.jetstream().publish(f"hallobot.dlq.{sub.name}", payload, headers=headers)
        except Exception as exc:
            log.warning("dead letter not written, will retry", extra={"consumer": sub.name, "error": repr(exc)})
            await msg.nak(delay=self.policy.delay_after(meta.num_delivered or 1))
            return
        await msg.ack()
        kind = reason.split(":", 1)[0]
        DEAD_LETTERS.labels(sub.name, kind).inc()
        CONSUMED.labels(sub.name, "dead_letter").inc()
        log.error("message dead-lettered", extra={"consumer": sub.name, "reason": reason[:500], "subject": msg.subject})


SECRET_HEADERS = {"authorization", "nats-authorization", "x-api-key"}


def _without_secrets(headers: dict[str, str] | None) -> dict[str, str]:
    """Credentials a sender put in headers (a host's bearer token) never reach the DLQ stream."""
    return {k: ("[redacted]" if k.lower() in SECRET_HEADERS else v) for k, v in (headers or {}).items()}


MAX_REASON = 2000
# The dead letter must itself fit under the broker's max_payload (1 MiB by default), base64 and
# headers included: a larger original is cut and the letter says so.
MAX_ORIGINAL_BYTES = 64 * 1024


def _original(data: bytes) -> dict[str, object]:
    kept = data[:MAX_ORIGINAL_BYTES]
    size = {"original_bytes": len(data), "original_truncated": len(data) > len(kept)}
    try:
        return {"original": kept.decode("utf-8"), "original_encoding": "utf-8", **size}
    except UnicodeDecodeError:
        return {"original": base64.b64encode(kept).decode(), "original_encoding": "base64", **size}
