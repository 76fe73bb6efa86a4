"""Idempotent consumers on a real nats-server: retries, dead letters, duplicates, shutdown."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from shared.catalog import HotspotStatusChanged
from shared.consumer import ConsumerGroup, DeliveryPolicy, PermanentError, Subscription
from shared.envelope import utcnow
from tests.support import schema
from tests.support.stream import eventually, stream_messages

FAST_RETRIES = DeliveryPolicy(max_deliver=3, backoff_s=[0.05, 0.1], ack_wait_s=2.0, fetch_timeout_s=0.5)


def status_event(i: int):
    data = HotspotStatusChanged(hotspot_id=f"h{i}", previous="up", status="down", reason=f"#{i}", since=utcnow())
    return data, data.to_event()


async def publish_event(js, i: int, msg_id: str | None = None) -> str:
    data, event = status_event(i)
    headers = event.headers() | ({"Nats-Msg-Id": msg_id} if msg_id else {})
    await js.publish(data.nats_subject(), event.to_json(), headers=headers)
    return event.id


async def record_effect(session, delivery) -> None:
    await session.execute(schema.effects.insert().values(message_id=delivery.message_id, note="applied"))


async def start_group(db, js, handler, policy=FAST_RETRIES, name="test-consumer") -> ConsumerGroup:
    group = ConsumerGroup(db, schema.inbox, lambda: js, policy)
    group.add(Subscription(name=name, stream="WIFI", subject="hallobot.wifi.hotspot.>", handler=handler))
    await group.start()
    return group


async def dead_letters(js) -> list[dict]:
    try:
        return [json.loads(m.data) for m in await stream_messages(js, "DLQ")]
    except Exception:
        return []


async def test_a_handler_that_fails_twice_then_succeeds_applies_its_effect_once(db, js):
    calls = Counter()

    async def flaky(session, delivery):
        calls[delivery.message_id] += 1
        await record_effect(session, delivery)  # written, then rolled back by the failure below
        if calls[delivery.message_id] <= 2:
            raise ConnectionError("downstream not reachable yet")

    group = await start_group(db, js, flaky)
    try:
        event_id = await publish_event(js, 1)
        assert await eventually(lambda: schema.count(db, schema.effects)) == 1
        await asyncio.sleep(0.5)  # room for a wrong extra delivery to show up
        assert calls[event_id] == 3
        assert await schema.count(db, schema.effects) == 1
        assert await dead_letters(js) == []
    finally:
        await group.stop()


async def test_a_handler_that_always_fails_sends_the_message_to_the_dlq_with_the_reason(db, js):
    calls = Counter()

    async def broken(session, delivery):
        calls[delivery.message_id] += 1
        raise ValueError("hotspot table is corrupt")

    group = await start_group(db, js, broken)
    try:
        event_id = await publish_event(js, 1)
        letters = await eventually(lambda: dead_letters(js))
        assert len(letters) == 1
        letter = letters[0]
        assert letter["consumer"] == "test-consumer"
        assert "failed after 3 attempts" in letter["reason"] and "hotspot table is corrupt" in letter["reason"]
        assert letter["attempts"] == 3
        assert json.loads(letter["original"])["id"] == event_id
        assert letter["subject"] == "hallobot.wifi.hotspot.status_changed.h1"
        assert calls[event_id] == FAST_RETRIES.max_deliver
        assert await schema.count(db, schema.effects) == 0
    finally:
        await group.stop()


async def test_a_malformed_message_goes_to_the_dlq_at_once_and_the_next_one_is_processed(db, js):
    calls = Counter()

    async def handler(session, delivery):
        calls[delivery.message_id] += 1
        await record_effect(session, delivery)

    group = await start_group(db, js, handler)
    try:
        await js.publish("hallobot.wifi.hotspot.status_changed.h9", b"{not json", headers={"Nats-Msg-Id": "bad-1"})
        bad_payload = json.loads(status_event(2)[1].to_json())
        bad_payload["data"]["status"] = "on fire"
        await js.publish("hallobot.wifi.hotspot.status_changed.h2", json.dumps(bad_payload).encode())
        good_id = await publish_event(js, 3)
        assert await eventually(lambda: schema.count(db, schema.effects)) == 1
        letters = await eventually(lambda: _at_least(dead_letters(js), 2))
        reasons = sorted(letter["reason"] for letter in letters)
        assert all(reason.startswith("malformed:") for reason in reasons)
        assert any("status" in reason for reason in reasons)  # names the offending field
        assert [letter["attempts"] for letter in letters] == [1, 1]
        assert calls == Counter({good_id: 1})
    finally:
        await group.stop()


async def _at_least(coro, n):
    value = await coro
    return value if len(value) >= n else []


async def test_a_permanent_error_skips_the_retries(db, js):
    async def refuses(session, delivery):
        raise PermanentError("hotspot unknown")

    group = await start_group(db, js, refuses)
    try:
        await publish_event(js, 1)
        letters = await eventually(lambda: dead_letters(js))
        assert letters[0]["reason"] == "rejected: hotspot unknown"
        assert letters[0]["attempts"] == 1
    finally:
        await group.stop()


async def test_the_same_event_delivered_twice_has_one_effect(db, js):
    group = await start_group(db, js, record_effect)
    try:
        data, event = status_event(1)
        # Two copies with different Nats-Msg-Ids get past the server's dedup, as after a long outage.
        for copy in ("copy-1", "copy-2"):
            await js.publish(data.nats_subject(), event.to_json(), headers={"Nats-Msg-Id": copy})
        await publish_event(js, 2)
        assert await eventually(lambda: _equals(schema.count(db, schema.effects), 2)) == 2
        await asyncio.sleep(0.3)
        assert await schema.count(db, schema.effects) == 2
        assert await schema.count(db, schema.inbox) == 2
    finally:
        await group.stop()


async def _equals(coro, expected):
    value = await coro
    return value if value == expected else 0


async def test_shutdown_lets_the_message_in_hand_finish(db, js):
    started = asyncio.Event()

    async def slow(session, delivery):
        started.set()
        await asyncio.sleep(1.0)
        await record_effect(session, delivery)

    group = await start_group(db, js, slow)
    await publish_event(js, 1)
    await asyncio.wait_for(started.wait(), 10)
    await group.stop(graceful_timeout=10)
    assert await schema.count(db, schema.effects) == 1
    info = await js.consumer_info("WIFI", "test-consumer")
    assert info.num_ack_pending == 0 and info.num_pending == 0  # acked, nothing will come back


async def test_two_instances_sharing_a_durable_consumer_apply_each_event_once(db, js):
    seen = Counter()

    async def handler(session, delivery):
        seen[delivery.message_id] += 1
        await record_effect(session, delivery)

    policy = DeliveryPolicy(max_deliver=3, backoff_s=[0.05], ack_wait_s=2.0, fetch_timeout_s=0.5)
    first = await start_group(db, js, handler, policy)
    second = await start_group(db, js, handler, policy)
    try:
        ids = [await publish_event(js, i) for i in range(200)]
        assert await eventually(lambda: _equals(schema.count(db, schema.effects), 200)) == 200
        assert set(seen) == set(ids) and max(seen.values()) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_dead_letter_keeps_the_headers_but_never_a_credential(db, js):
    group = await start_group(db, js, record_effect)
    try:
        await js.publish(
            "hallobot.wifi.hotspot.status_changed.h1",
            b"not an event",
            headers={"Authorization": "Bearer hbh_secret-host-token", "X-Site": "kirchplatz"},
        )
        letters = await eventually(lambda: dead_letters(js))
        assert letters[0]["headers"]["Authorization"] == "[redacted]"
        assert letters[0]["headers"]["X-Site"] == "kirchplatz"
        assert "hbh_secret-host-token" not in json.dumps(letters)
    finally:
        await group.stop()


async def test_a_huge_undecodable_message_reaches_the_dlq_cut_to_size_and_the_next_one_is_taken(db, js, nc):
    group = await start_group(db, js, record_effect)
    try:
        huge = b"\xff" * (nc.max_payload - 4096)  # base64 of all of it would not fit in a dead letter
        await js.publish("hallobot.wifi.hotspot.status_changed.h1", huge)
        await publish_event(js, 2)
        letters = await eventually(lambda: dead_letters(js))
        assert letters[0]["original_encoding"] == "base64" and letters[0]["original_truncated"] is True
        assert letters[0]["original_bytes"] == len(huge)
        assert await eventually(lambda: schema.count(db, schema.effects)) == 1
    finally:
        await group.stop()


@pytest.mark.parametrize(
    "reply",
    [
        "$JS.ACK.WIFI_REPORTS.wifi-reports.1.4711.12.1763700000000000000.3",  # servers before 2.10
        "$JS.ACK._.ACCHASH.WIFI_REPORTS.wifi-reports.1.4711.12.1763700000000000000.3.rnd",  # domain + account hash
        "$JS.ACK.hub.ACCHASH.WIFI_REPORTS.wifi-reports.2.4711.12.1763700000000000000.3.rnd.extra",
    ],
)
def test_a_message_without_an_id_is_keyed_by_stream_and_sequence_as_nats_py_reads_them(reply):
    from nats.aio.msg import Msg

    from shared.consumer import _stream_position

    msg = Msg(_client=None, subject="hallobot.wifi.reports.h1", reply=reply, data=b"{}", headers=None)
    expected = f"{msg.metadata.stream}:{msg.metadata.sequence.stream}"
    assert _stream_position(msg) == expected == "WIFI_REPORTS:4711"


async def test_a_real_message_without_msg_id_gets_the_key_of_its_stream_position(js, nc):
    from shared.consumer import message_key

    await js.publish("hallobot.wifi.reports.h1", b"{}")  # no Nats-Msg-Id, as a host's report
    sub = await js.pull_subscribe("hallobot.wifi.reports.>", durable="key-check", stream="WIFI_REPORTS")
    (msg,) = await sub.fetch(1, timeout=5)
    assert message_key(msg) == f"WIFI_REPORTS:{msg.metadata.sequence.stream}"
    await msg.ack()
