"""Dead-letter replay on deploy/'s NATS accounts (nats-server from deploy/nats/nats.conf, TLS, the
streams declared by the admin): the notifications user lists the DLQ, asks for a replay and runs its
replay consumer with no permission it lacks; the other services can neither read the DLQ, where the
dead letters of PRIVATE notices (addresses) lie, nor slip a replay request to notifications."""

from __future__ import annotations

import secrets
from collections import Counter

import nats
import pytest

from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
from shared.consumer.dead_letter_log import dead_letters, request_replay
from shared.streams import ensure_streams
from tests.deploy import compose
from tests.deploy.nats_node import (
    ConfiguredNatsServer,
    copy_config_dir,
    install_certificates,
    set_store_dir,
    tls_context,
)
from tests.security.test_nats_accounts import REFUSED, violated, violations
from tests.support import schema
from tests.support.stream import eventually
from tests.test_consumer import publish_event, record_effect

FAST = DeliveryPolicy(max_deliver=2, backoff_s=[0.05], ack_wait_s=2.0, fetch_timeout_s=0.3)
NAME = "notifications-wifi"  # one of the consumers deploy/ names for notifications


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dlq-accounts")
    env = {name: secrets.token_hex(12) for name in compose.nats_password_variables()}
    config_dir = copy_config_dir(tmp / "nats")
    set_store_dir(config_dir / "nats.conf", tmp / "nats-data")
    ca_file = install_certificates(config_dir)
    running = ConfiguredNatsServer(config_dir / "nats.conf", tmp / "nats-data", env, ca_file).start()
    running.env = env
    yield running
    running.kill()


async def connect(server, user: str) -> tuple[nats.NATS, list[str]]:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    password = server.env["NATS_OPERATOR_PASSWORD" if user == "operator" else f"{user.upper()}_NATS_PASSWORD"]
    options = {} if user == "operator" else {"inbox_prefix": f"_INBOX_{user}"}
    nc = await nats.connect(
        f"tls://{user}:{password}@127.0.0.1:{server.port}",
        error_cb=on_error,
        allow_reconnect=False,
        tls=tls_context(server.ca_file),
        **options,
    )
    return nc, errors


@pytest.fixture
async def admin(server):
    nc, _ = await connect(server, "operator")
    await ensure_streams(nc.jetstream())
    yield nc.jetstream()
    await nc.close()


async def test_notifications_lists_and_replays_its_dead_letters_with_the_permissions_it_has(server, admin, db):
    nc, errors = await connect(server, "notifications")
    js = nc.jetstream(timeout=5)
    broken, calls = [True], Counter()

    async def handler(session, delivery) -> None:
        calls[delivery.message_id] += 1
        await record_effect(session, delivery)
        if broken[0]:
            raise ConnectionError("the mail store is away")

    group = ConsumerGroup(db, schema.inbox, lambda: js, FAST)
    group.add(Subscription(name=NAME, stream="WIFI", subject="hallobot.wifi.hotspot.>", handler=handler))
    await group.start()
    try:
        event_id = await publish_event(admin, 1)  # the server is the module's: find this test's own letter

        async def one_letter():
            found = [letter for letter in await dead_letters(js, NAME) if letter.event_id == event_id]
            return found[0] if found else None

        letter = await eventually(one_letter, timeout=15)
        assert letter is not None and letter.attempts == 2
        broken[0] = False
        await request_replay(js, letter.seq, "bootstrap")

        async def handled():
            found = [item for item in await dead_letters(js, NAME) if item.seq == letter.seq]
            return bool(found and found[0].replay and found[0].replay.outcome == "handled")

        assert await eventually(handled, timeout=15)
        assert await schema.count(db, schema.effects) == 1
        assert violations(errors) == ""
    finally:
        await group.stop(2)
        await nc.close()


async def test_other_services_neither_read_the_dlq_nor_ask_notifications_for_a_replay(server, admin):
    await admin.publish("hallobot.dlq.notifications-registrants", b'{"original": "{\\"email\\": \\"a@example.org\\"}"}')
    for user in ("wifi", "events"):
        nc, errors = await connect(server, user)
        js = nc.jetstream(timeout=1)
        try:
            with pytest.raises(REFUSED):
                await js.get_msg("DLQ", 1)
            with pytest.raises(REFUSED):
                await js.publish("hallobot.dlq.replay.notifications-registrants", b"{}")
            assert await violated(errors, "$JS.API.STREAM.MSG.GET.DLQ", "hallobot.dlq.replay.notifications-registrants")
        finally:
            await nc.close()
