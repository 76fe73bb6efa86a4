"""Dead letters that hold personal data leave the DLQ when the original leaves PRIVATE (14 days),
not after the DLQ's own 90 days: a per-message TTL (`Nats-TTL`) that the server honours."""

from __future__ import annotations

import uuid

from nats.js.errors import NotFoundError

from shared.consumer import ConsumerGroup, DeliveryPolicy, PermanentError, Subscription, json_decoder
from shared.streams import STREAMS_BY_NAME
from tests.support import schema
from tests.support.stream import eventually

PRIVATE_KEEP_S = STREAMS_BY_NAME["PRIVATE"].max_age_s or 0


async def refuse(_session, _delivery) -> None:
    raise PermanentError("no such registration")


async def _dead_letter_on(js, db, stream: str, subject: str, filter_subject: str) -> object:
    from pydantic import BaseModel, ConfigDict

    class Body(BaseModel):
        model_config = ConfigDict(extra="allow")

    group = ConsumerGroup(db, schema.inbox, lambda: js, DeliveryPolicy(fetch_timeout_s=0.5))
    name = f"dlq-test-{uuid.uuid4().hex[:8]}"
    group.add(Subscription(name=name, stream=stream, subject=filter_subject, handler=refuse, decode=json_decoder(Body)))
    await group.start()
    try:
        await js.publish(subject, b'{"email": "someone@example.org", "cancel_token": "raw"}')

        async def letter():
            try:
                return await js.get_last_msg("DLQ", f"hallobot.dlq.{name}")
            except NotFoundError:
                return None

        found = await eventually(letter, timeout=10)
        assert found is not None
        return found
    finally:
        await group.stop(2)


async def test_a_dead_letter_of_a_private_notice_expires_with_private_retention(db, nc, js):
    letter = await _dead_letter_on(
        js, db, "PRIVATE", "hallobot.private.events.registration.notice.r1", "hallobot.private.events.>"
    )
    ttl = int(letter.headers["Nats-TTL"])
    assert PRIVATE_KEEP_S - 120 <= ttl <= PRIVATE_KEEP_S
    assert (await js.stream_info("DLQ")).config.allow_msg_ttl is True


async def test_a_dead_letter_of_a_public_event_keeps_the_dlq_retention(db, nc, js):
    letter = await _dead_letter_on(js, db, "EVENTS", "hallobot.events.event.created.e1", "hallobot.events.>")
    assert "Nats-TTL" not in (letter.headers or {})


async def test_the_server_removes_a_dead_letter_when_its_ttl_runs_out(nc, js):
    await js.publish("hallobot.dlq.ttl-probe", b"{}", headers={"Nats-TTL": "1"})
    assert (await js.get_last_msg("DLQ", "hallobot.dlq.ttl-probe")).data == b"{}"

    async def gone():
        try:
            await js.get_last_msg("DLQ", "hallobot.dlq.ttl-probe")
        except NotFoundError:
            return True
        return False

    assert await eventually(gone, timeout=10)
