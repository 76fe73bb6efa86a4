"""Replaying a dead letter to the consumer that gave up on it, on a real nats-server and both databases:
handled once after the cause is fixed, a second replay or a duplicate request changes nothing, a
replay that fails again is a dead letter again, what cannot help is refused."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from nats.js.errors import NotFoundError

from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription, json_decoder
from shared.consumer.dead_letter_log import dead_letters, records, request_replay
from shared.consumer.replay import replay_request
from shared.errors import Conflict
from tests.support import schema
from tests.support.stream import eventually
from tests.test_consumer import publish_event, record_effect

FAST = DeliveryPolicy(max_deliver=2, backoff_s=[0.05], ack_wait_s=2.0, fetch_timeout_s=0.3)
NAME = "test-replays"


class Cause:
    """What makes the handler fail until someone fixes it (a downstream that is away)."""

    def __init__(self) -> None:
        self.broken = True
        self.calls: Counter[str] = Counter()

    async def handler(self, session, delivery) -> None:
        self.calls[delivery.message_id] += 1
        await record_effect(session, delivery)  # rolled back with the failure below
        if self.broken:
            raise ConnectionError("the archive is not reachable")


async def started(db, js, cause: Cause, **options) -> ConsumerGroup:
    group = ConsumerGroup(db, schema.inbox, lambda: js, FAST)
    group.add(
        Subscription(name=NAME, stream="WIFI", subject="hallobot.wifi.hotspot.>", handler=cause.handler, **options)
    )
    await group.start()
    return group


async def letters_of(js, count: int = 1):
    async def enough():
        found = await dead_letters(js, NAME)
        return found if len(found) >= count else None

    return await eventually(enough, timeout=15)


async def replayed(js, seq: int, outcome: str):
    async def done():
        found = [letter for letter in await dead_letters(js, NAME) if letter.seq == seq]
        return found[0] if found and found[0].replay and found[0].replay.outcome == outcome else None

    return await eventually(done, timeout=15)


async def test_a_dead_letter_replayed_after_the_fix_is_handled_exactly_once(db, js):
    cause = Cause()
    group = await started(db, js, cause)
    try:
        event_id = await publish_event(js, 1)
        [letter] = await letters_of(js)
        assert letter.attempts == 2 and letter.event_id == event_id and letter.replay is None
        assert await schema.count(db, schema.effects) == 0

        cause.broken = False
        asked = await request_replay(js, letter.seq, "bootstrap")
        assert asked.replay is not None and asked.replay.requested_by == "bootstrap"
        done = await replayed(js, letter.seq, "handled")
        assert done is not None, await dead_letters(js, NAME)
        assert await schema.count(db, schema.effects) == 1

        again = await request_replay(js, letter.seq, "bootstrap")  # a second click: nothing new is asked
        assert len(again.replays) == 1 and again.replay.outcome == "handled"
        # A duplicate request that got through anyway (another instance, a retried publish): the inbox
        # claim of the first replay makes it a no-op.
        raw = await js.get_msg("DLQ", letter.seq)
        subject, data, headers = replay_request(json.loads(raw.data), letter.seq, "someone-else", None)
        await js.publish(subject, data, headers=headers | {"Nats-Msg-Id": "a-copy"})
        assert await eventually(lambda: _outcomes(js, "already_handled"), timeout=15)
        assert await schema.count(db, schema.effects) == 1
        assert cause.calls[event_id] == 3  # two attempts, one replay; the copy never reached the handler

        other = await publish_event(js, 2)  # the consumer goes on
        assert await eventually(lambda: _effects_are(db, 2))
        assert cause.calls[other] == 1
    finally:
        await group.stop(2)


async def _effects_are(db, expected: int) -> bool:
    return await schema.count(db, schema.effects) == expected


async def _outcomes(js, outcome: str) -> int:
    found = await records(js, [f"hallobot.dlq.replayed.{NAME}"], start_seq=1)
    return sum(1 for record in found if json.loads(record.data)["outcome"] == outcome)


async def test_a_replay_that_fails_again_is_a_dead_letter_again_with_all_its_attempts(db, js):
    cause = Cause()
    group = await started(db, js, cause)
    try:
        event_id = await publish_event(js, 3)
        [first] = await letters_of(js)
        await request_replay(js, first.seq, "bootstrap")
        failed = await replayed(js, first.seq, "failed")
        assert failed is not None
        [again, _] = await letters_of(js, 2)
        assert failed.replay.dead_letter_again == again.seq
        assert again.replay_of == first.seq and again.attempts == 4  # two before, two in the replay
        assert "failed after 2 replay attempts" in again.reason and again.event_id == event_id

        cause.broken = False
        await request_replay(js, again.seq, "bootstrap")
        assert await replayed(js, again.seq, "handled") is not None
        assert await schema.count(db, schema.effects) == 1
    finally:
        await group.stop(2)


async def test_a_replay_of_a_private_notice_expires_with_the_original(db, js):
    cause = Cause()
    group = ConsumerGroup(db, schema.inbox, lambda: js, FAST)
    group.add(
        Subscription(
            name=NAME,
            stream="PRIVATE",
            subject="hallobot.private.events.>",
            handler=cause.handler,
            decode=json_decoder(schema_model()),
        )
    )
    await group.start()
    try:
        await js.publish("hallobot.private.events.registration.notice.r1", b'{"email": "someone@example.org"}')
        [letter] = await letters_of(js)
        await request_replay(js, letter.seq, "bootstrap")
        request = await eventually(lambda: _last(js, f"hallobot.dlq.replay.{NAME}"))
        assert 14 * 24 * 3600 - 120 <= int(request.headers["Nats-TTL"]) <= 14 * 24 * 3600
        assert await replayed(js, letter.seq, "failed") is not None
        [again, _] = await letters_of(js, 2)
        raw = await js.get_msg("DLQ", again.seq)
        assert int(raw.headers["Nats-TTL"]) <= 14 * 24 * 3600
    finally:
        await group.stop(2)


def schema_model():
    from pydantic import BaseModel, ConfigDict

    class Notice(BaseModel):
        model_config = ConfigDict(extra="allow")

    return Notice


async def _last(js, subject: str):
    try:
        return await js.get_last_msg("DLQ", subject)
    except NotFoundError:
        return None


async def test_what_a_replay_cannot_help_is_refused(db, js):
    cause = Cause()
    group = await started(db, js, cause, replayable=False)
    try:
        await publish_event(js, 4)
        [letter] = await letters_of(js)
        with pytest.raises(Conflict, match="takes no replays"):
            await request_replay(js, letter.seq, "bootstrap")
        await js.publish(
            f"hallobot.dlq.{NAME}",
            json.dumps(
                {
                    "consumer": NAME,
                    "subject": "hallobot.wifi.reports.h1",
                    "original": "{}",
                    "headers": {"Authorization": "[redacted]"},
                }
            ).encode(),
        )
        [redacted, _] = await letters_of(js, 2)
        with pytest.raises(Conflict, match="credential"):
            await request_replay(js, redacted.seq, "bootstrap")
    finally:
        await group.stop(2)
