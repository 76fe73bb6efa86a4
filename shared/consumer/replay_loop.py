"""The owning consumer's side of a replay: take a request, handle its original as the consumer
would (decoder, inbox claim, handler, one transaction), record the outcome, ack the request.

A failing replay is retried like any message (nak with the group's backoff, `max_deliver` times);
then the original is a dead letter again, with the attempts of both rounds, `replay_of` (the letter
it replayed) and `replayed_by`. If the outcome or the new letter cannot be written, the request is
nak'ed and comes back: its inbox claim makes the second round a no-op ("already handled")."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from shared.consumer.dead_letter import letter
from shared.consumer.delivery import MalformedMessage, PermanentError
from shared.consumer.replay import Outcome, ReplayRequest, outcome_record, replay_consumer, replay_subject
from shared.consumer.subscription import DeliveryPolicy, Subscription
from shared.metrics import CONSUMED, DEAD_LETTERS

if TYPE_CHECKING:
    from shared.consumer.group import ConsumerGroup

log = logging.getLogger("hallobot.consumer.replay")


async def replay_subscription(
    js: JetStreamContext, policy: DeliveryPolicy, sub: Subscription
) -> JetStreamContext.PullSubscription | None:
    """The durable consumer of `sub`'s replay requests on the DLQ stream (None without that stream)."""
    name, subject = replay_consumer(sub.name), replay_subject(sub.name)
    try:
        return await js.pull_subscribe(subject, durable=name, stream="DLQ", config=policy.replay_config(name, subject))
    except NotFoundError:  # a bench's or test's server without the DLQ stream: no dead letters either
        log.warning("no DLQ stream: replays are off", extra={"consumer": sub.name})
        return None


async def handle_replays(group: ConsumerGroup, sub: Subscription, msgs: list[Msg]) -> None:
    for msg in msgs:
        await _replay(group, sub, msg)


async def _replay(group: ConsumerGroup, sub: Subscription, msg: Msg) -> None:
    try:
        request = ReplayRequest.model_validate_json(msg.data)
    except ValidationError as exc:
        log.error("replay request unreadable, dropped", extra={"consumer": sub.name, "error": str(exc)[:300]})
        await msg.term()
        return
    if request.consumer != sub.name:
        log.error("replay request for another consumer, dropped", extra={"consumer": sub.name})
        await msg.term()
        return
    meta = msg.metadata
    attempt = meta.num_delivered or 1
    original = request.message(request.attempts + attempt)
    what = {"consumer": sub.name, "dead_letter_seq": request.dead_letter_seq, "actor": request.actor}
    failure: str | None = None
    outcome: Outcome = "handled"
    try:
        delivery = sub.decode(original)
        fresh = await group.apply(sub, [(original, delivery)])
        outcome = "handled" if fresh else "already_handled"
    except MalformedMessage as exc:
        failure = f"malformed: {exc}"
    except PermanentError as exc:
        failure = f"rejected: {exc}"
    except Exception as exc:
        if attempt < group.policy.max_deliver:
            log.warning("replay failed, will retry", extra={**what, "attempt": attempt, "error": repr(exc)})
            await msg.nak(delay=group.policy.delay_after(attempt))
            return
        failure = f"failed after {attempt} replay attempts: {exc!r}"
    try:
        again = None
        if failure is not None:
            again = await _dead_letter_again(group, request, meta.sequence.stream, request.attempts + attempt, failure)
            outcome = "failed"
        subject, body, headers = outcome_record(request, meta.sequence.stream, outcome, again)
        await group.jetstream().publish(subject, body, headers=headers)
    except Exception as exc:
        log.warning("replay outcome not written, will retry", extra={**what, "error": repr(exc)})
        await msg.nak(delay=group.policy.delay_after(attempt))
        return
    await msg.ack()
    CONSUMED.labels(sub.name, f"replay_{outcome}").inc()
    log.info("dead letter replayed", extra={**what, "outcome": outcome})


async def _dead_letter_again(
    group: ConsumerGroup, request: ReplayRequest, request_seq: int, attempts: int, reason: str
) -> int:
    """The original back in the DLQ (a new letter: its own id, so the stream's dedup keeps it)."""
    subject, body, headers = letter(
        request.consumer,
        request.origin(attempts),
        reason,
        f"dlq:{request.consumer}:{request.stream}:{request.stream_seq}:replay:{request_seq}",
        {"replay_of": request.dead_letter_seq, "replayed_by": request.actor},
    )
    ack = await group.jetstream().publish(subject, body, headers=headers)
    DEAD_LETTERS.labels(request.consumer, reason.split(":", 1)[0]).inc()
    log.error("replayed message dead-lettered again", extra={"consumer": request.consumer, "reason": reason[:500]})
    return ack.seq
