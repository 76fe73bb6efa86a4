"""`ConsumerGroup`: runs a service's subscriptions (pull, decode, claim, handle, ack or retry)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared import tracing
from shared.consumer.dead_letter import dead_letter
from shared.consumer.delivery import Delivery, PermanentError
from shared.consumer.puller import Puller
from shared.consumer.replay import replay_consumer
from shared.consumer.replay_loop import handle_replays, replay_subscription
from shared.consumer.subscription import DeliveryPolicy, Subscription
from shared.db import Database
from shared.inbox import claim_many
from shared.metrics import CONSUMED, CONSUMER_ACK_PENDING, CONSUMER_PENDING, DEAD_LETTERS, HANDLER_SECONDS
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
        *,
        service: str = "",
    ) -> None:
        """`service` labels the lag gauges (`hallobot_consumer_pending_messages`); none, no gauges."""
        self.db, self.inbox, self.jetstream = db, inbox, jetstream
        self.policy = policy or DeliveryPolicy()
        self.service = service
        self.subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pullers: list[Puller] = []
        self._durables: list[tuple[str, JetStreamContext.PullSubscription]] = []  # for the lag gauges
        self._running = False
        # Fetch the next batch while one is handled (see `_pull_loop`); on PostgreSQL only: on SQLite
        # the database work runs on a thread that hands back to the loop once per statement, and the
        # next batch's messages arriving meanwhile delay those hand-backs (measured slower, twice).
        self.fetch_ahead = not db.is_sqlite
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
            puller = await Puller.bind(pull)  # not nats-py's fetch: see shared/consumer/puller.py
            self._pullers.append(puller)
            self._durables.append((sub.name, pull))
            self._tasks.append(
                asyncio.create_task(self._pull_loop(sub, puller, self.handle_batch), name=f"consumer:{sub.name}")
            )
            if sub.replayable and (replays := await replay_subscription(js, self.policy, sub)):
                replay_puller = await Puller.bind(replays)  # its dead letters' replay requests (replay.py)
                self._pullers.append(replay_puller)
                self._durables.append((replay_consumer(sub.name), replays))
                step = self._pull_loop(sub, replay_puller, self._replay_step, REPLAY_BATCH, replay_consumer(sub.name))
                self._tasks.append(asyncio.create_task(step, name=f"replay:{sub.name}"))
        if self.service and self._durables:
            self._tasks.append(asyncio.create_task(self._watch_lag(), name="consumer-lag"))

    async def _watch_lag(self) -> None:
        """Every `lag_interval_s`, each durable's backlog from its consumer info (one cheap request
        each): the fetches' metadata says it only while messages flow, this also while a consumer is
        idle, paused on the server or stuck in a batch, which is when the lag matters."""
        while self._running:
            for durable, pull in self._durables:
                try:
                    info = await pull.consumer_info()
                except Exception as exc:  # broker away: the gauges keep their last value meanwhile
                    log.debug("consumer info failed", extra={"consumer": durable, "error": repr(exc)})
                    continue
                CONSUMER_PENDING.labels(self.service, durable).set(info.num_pending or 0)
                CONSUMER_ACK_PENDING.labels(self.service, durable).set(info.num_ack_pending or 0)
            await asyncio.sleep(self.policy.lag_interval_s)

    def _note_pending(self, durable: str, msgs: list[Msg]) -> None:
        """What the server still holds behind the last message of a fetched batch (free with it)."""
        if self.service and msgs:
            CONSUMER_PENDING.labels(self.service, durable).set(msgs[-1].metadata.num_pending or 0)

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
        # Unsubscribe the pullers' inboxes: a message or status reply that arrived after the last
        # fetch would otherwise sit in nats-py's queue, and draining the connection at shutdown waits
        # for that queue to empty (30 s, seen under `hallobot up`). Such a message was never handled:
        # the puller hands it back (nak), or it is redelivered after ack_wait.
        for puller in self._pullers:
            try:
                await puller.close()
            except Exception as exc:  # connection already closed: nothing left to drain
                log.debug("unsubscribe at stop failed", extra={"error": repr(exc)})
        self._pullers.clear()

    async def _pull_loop(
        self, sub: Subscription, puller: Puller, step: BatchStep, batch: int = 0, durable: str = ""
    ) -> None:
        # On PostgreSQL the next batch is fetched while this one is handled: a batch spends most of
        # its time waiting for the database (round trips, the commit's flush), and the next batch's
        # messages arrive and are parsed meanwhile (bench/consumer.py). One fetch at a time still:
        # the next is asked for only when the previous one returned.
        # A fetch returns as soon as its pull request ends, so a message on a quiet stream is
        # handled within milliseconds (bench/idle_latency.py); `fetch_timeout_s` is the life of an
        # idle request, not a wait for a batch to fill.
        batch = batch or sub.batch_size
        ahead: asyncio.Task[list[Msg]] | None = None
        try:
            while self._running:
                if ahead is None:
                    msgs = await self._fetch(sub, puller, batch)
                else:
                    msgs, ahead = await ahead, None
                if not msgs:
                    continue
                self._note_pending(durable or sub.name, msgs)
                if not self._running:
                    await _hand_back(msgs)
                    return
                if self.fetch_ahead:
                    ahead = asyncio.create_task(self._fetch(sub, puller, batch), name=f"fetch:{sub.name}")
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
        finally:
            if ahead is not None:
                await _drop_fetch(ahead)

    async def _fetch(self, sub: Subscription, puller: Puller, batch: int) -> list[Msg]:
        try:
            return await puller.fetch(batch, self.policy.fetch_timeout_s)
        except Exception as exc:  # broker away (nats-py reconnects meanwhile) or a refused request
            log.warning("fetch failed", extra={"consumer": sub.name, "error": repr(exc)})
            return await self._fetch_when_back(sub, puller, batch)

    async def _fetch_when_back(self, sub: Subscription, puller: Puller, batch: int) -> list[Msg]:
        """Fetch again with a growing pause until the broker answers (or the group stops: no messages)."""
        async for attempt in retrying(REFETCH_BACKOFF, on=Exception, log=log, what=f"fetch of {sub.name}"):
            with attempt:
                if not self._running:
                    return []
                return await puller.fetch(batch, self.policy.fetch_timeout_s)
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
            for msg, delivery in decoded:
                if delivery.message_id in claimed:
                    claimed.discard(delivery.message_id)  # a copy later in the same batch is skipped
                    fresh.append((msg, delivery))
            if tracing.enabled():
                await self._handle_traced(session, sub, fresh)
            elif sub.batch_handler is not None:
                if fresh:
                    await sub.batch_handler(session, [delivery for _, delivery in fresh])
            elif sub.handler is not None:
                for _, delivery in fresh:
                    await sub.handler(session, delivery)
        return len(fresh)

    @staticmethod
    async def _handle_traced(session: AsyncSession, sub: Subscription, fresh: list[tuple[Msg, Delivery]]) -> None:
        """The handlers inside consumer spans, each the child of its message's context (shared/tracing.py)."""
        if sub.batch_handler is not None:
            if fresh:
                with tracing.consumer_spans(sub.name, [(msg.headers, delivery) for msg, delivery in fresh]):
                    await sub.batch_handler(session, [delivery for _, delivery in fresh])
        elif sub.handler is not None:
            for msg, delivery in fresh:
                with tracing.consumer_span(sub.name, msg.headers, delivery):
                    await sub.handler(session, delivery)

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


async def _hand_back(msgs: list[Msg]) -> None:
    """Messages fetched but not handled (the group is stopping) go back at once to another instance."""
    for msg in msgs:
        await msg.nak()


async def _drop_fetch(ahead: asyncio.Task[list[Msg]]) -> None:
    """The fetch ahead of a loop that ends: cancelled while it waits (what arrives later is handed
    back by the puller's close), its messages handed back if it had already brought them."""
    if not ahead.done():
        ahead.cancel()
    try:
        msgs = await ahead
    except BaseException:  # cancelled, or its fetch failed: nothing was taken from the puller
        return
    try:
        await _hand_back(msgs)
    except Exception as exc:  # connection gone: they come back after ack_wait
        log.debug("nak of a fetched batch failed", extra={"error": repr(exc)})
