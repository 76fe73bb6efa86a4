"""`ConsumerGroup`: runs a service's subscriptions (pull, decode, claim, handle, ack or retry)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from sqlalchemy import Table

from shared.consumer.dead_letter import dead_letter
from shared.consumer.delivery import Delivery, PermanentError
from shared.consumer.replay_loop import handle_replays, replay_subscription
from shared.consumer.subscription import DeliveryPolicy, Subscription
from shared.db import Database
from shared.inbox import claim_many
from shared.metrics import CONSUMED, DEAD_LETTERS, HANDLER_SECONDS
from shared.retry import Backoff, retrying

log = logging.getLogger("hallobot.consumer")
# Fetching again while the broker is away (nats-py reconnects meanwhile).
REFETCH_BACKOFF = Backoff(first_s=0.25, max_s=2.0)
REPLAY_BATCH = 10  # replays come one operator's click at a time
BatchStep = Callable[[Subscription, list[Msg]], Awaitable[None]]


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
        self._tasks: list[asyncio.Task[None]] = []
        self._pulls: list[JetStreamContext.PullSubscription] = []
        self._running = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def add(self, subscription: Subscription) -> None:
        self.subscriptions.append(subscription)

    def consumer_config(self, sub: Subscription) -> ConsumerConfig:
        return self.policy.consumer_config(sub)

    async def start(self) -> None:
        self._running = True
        js = self.jetstream()
        for sub in self.subscriptions:
            pull = await js.pull_subscribe(
                sub.subject, durable=sub.name, stream=sub.stream, config=self.consumer_config(sub)
            )
            self._pulls.append(pull)
            self._tasks.append(
                asyncio.create_task(self._pull_loop(sub, pull, self.handle_batch), name=f"consumer:{sub.name}")
            )
            if sub.replayable and (replays := await replay_subscription(js, self.policy, sub)):
                self._pulls.append(replays)  # its dead letters' replay requests (shared/consumer/replay.py)
                step = self._pull_loop(sub, replays, self._replay_step, REPLAY_BATCH)
                self._tasks.append(asyncio.create_task(step, name=f"replay:{sub.name}"))

    async def _replay_step(self, sub: Subscription, msgs: list[Msg]) -> None:
        await handle_replays(self, sub, msgs)

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

    async def _pull_loop(
        self, sub: Subscription, pull: JetStreamContext.PullSubscription, step: BatchStep, batch: int = 0
    ) -> None:
        # Fetch, handle, fetch: prefetching the next batch during the handling was measured and
        # made it slower here (parsing the next batch competes with the database hops for the loop).
        batch = batch or sub.batch_size
        while self._running:
            try:
                msgs = await pull.fetch(batch, timeout=self.policy.fetch_timeout_s)
            except (TimeoutError, NatsTimeoutError):
                continue
            except Exception as exc:  # broker away: nats-py reconnects meanwhile
                log.warning("fetch failed", extra={"consumer": sub.name, "error": repr(exc)})
                msgs = await self._fetch_when_back(sub, pull, batch)
                if not msgs:
                    continue
            if not self._running:
                for msg in msgs:  # hand them back at once to another instance (or after restart)
                    await msg.nak()
                return
            self._in_flight += 1
            self._idle.clear()
            try:
                await step(sub, msgs)
            except Exception as exc:  # never let one batch kill the consumer
                log.exception("batch failed unexpectedly", extra={"consumer": sub.name, "error": repr(exc)})
            finally:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.set()

    async def _fetch_when_back(
        self, sub: Subscription, pull: JetStreamContext.PullSubscription, batch: int
    ) -> list[Msg]:
        """Fetch again with a growing pause until the broker answers (or the group stops: no messages)."""
        async for attempt in retrying(REFETCH_BACKOFF, on=Exception, log=log, what=f"fetch of {sub.name}"):
            with attempt:
                if not self._running:
                    return []
                try:
                    return await pull.fetch(batch, timeout=self.policy.fetch_timeout_s)
                except (TimeoutError, NatsTimeoutError):
                    return []  # the broker answered: nothing there
        return []  # not reached: retrying stops only by raising

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
                await self.apply(sub, decoded)
            except Exception:
                # Something in the batch failed: retry each message alone to find and isolate it.
                for msg, delivery in decoded:
                    await self._apply_one(sub, msg, delivery)
            else:
                for msg, _ in decoded:
                    await msg.ack()
                CONSUMED.labels(sub.name, "ok").inc(len(decoded))
        HANDLER_SECONDS.labels(sub.name).observe(time.perf_counter() - started)

    async def apply(self, sub: Subscription, decoded: list[tuple[Msg, Delivery]]) -> int:
        """Claim and handle in one transaction; how many deliveries were new (not claimed before)."""
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
            elif sub.handler is not None:
                for delivery in fresh:
                    await sub.handler(session, delivery)
        return len(fresh)

    async def _apply_one(self, sub: Subscription, msg: Msg, delivery: Delivery) -> None:
        try:
            await self.apply(sub, [(msg, delivery)])
        except PermanentError as exc:
            await self._dead_letter(sub, msg, f"rejected: {exc}")
        except Exception as exc:
            attempt = msg.metadata.num_delivered or 1  # parsed only on failure: it costs per message
            if attempt >= self.policy.max_deliver:
                await self._dead_letter(sub, msg, f"failed after {attempt} attempts: {exc!r}")
            else:
                delay = self.policy.delay_after(attempt)
                what = {"consumer": sub.name, "message_id": delivery.message_id, "attempt": attempt}
                log.warning("handler failed, will retry", extra={**what, "retry_in_s": delay, "error": repr(exc)})
                CONSUMED.labels(sub.name, "retry").inc()
                await msg.nak(delay=delay)
        else:
            await msg.ack()
            CONSUMED.labels(sub.name, "ok").inc()

    async def _dead_letter(self, sub: Subscription, msg: Msg, reason: str) -> None:
        """Publish the original with its reason to `hallobot.dlq.<consumer>`, then ack it.

        If the DLQ cannot be written (broker away), the message is nak'ed and comes back later;
        it is never acked without having landed in the DLQ."""
        subject, body, headers = dead_letter(sub.name, msg, reason)
        try:
            await self.jetstream().publish(subject, body, headers=headers)
        except Exception as exc:
            log.warning("dead letter not written, will retry", extra={"consumer": sub.name, "error": repr(exc)})
            await msg.nak(delay=self.policy.delay_after(msg.metadata.num_delivered or 1))
            return
        await msg.ack()
        kind = reason.split(":", 1)[0]
        DEAD_LETTERS.labels(sub.name, kind).inc()
        CONSUMED.labels(sub.name, "dead_letter").inc()
        log.error("message dead-lettered", extra={"consumer": sub.name, "reason": reason[:500], "subject": msg.subject})
