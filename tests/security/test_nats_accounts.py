"""deploy/'s NATS accounts against a hostile insider (issue 14, item 6): a nats-server started from
deploy/nats/nats.conf (accounts, hosts, TLS) with its streams declared by `hallobot streams`, the
wifi service running as compose runs it, and each user trying what it must not.

A refused JetStream API request is dropped by the server (the client sees a timeout) and reported
as a permissions violation on the connection; every test checks both that the attempt failed and
that nothing changed as seen by the admin."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sqlite3
import ssl
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.api import ConsumerConfig, RePublish, StreamConfig
from nats.js.errors import NotFoundError

from shared.console.credentials import BUCKET, Credential, CredentialIndex
from shared.streams import STREAMS_BY_NAME, StreamsNotDeclared, ensure_stream, ensure_streams, misfits
from tests.deploy import compose, stack
from tests.deploy.nats_node import (
    ConfiguredNatsServer,
    copy_config_dir,
    install_certificates,
    set_store_dir,
    tls_context,
)
from tests.support.stream import eventually
from tests.wifi.conftest import create_hotspot, eventually_equal, report, start_wifi

REFUSED = nats.errors.TimeoutError  # what a client sees of a request the server dropped
NOTICE = "hallobot.private.events.registration.notice.{}"


class Accounts:
    def __init__(self, server: ConfiguredNatsServer, env: dict[str, str], tmp: Path) -> None:
        self.server, self.env, self.tmp = server, env, tmp
        self.hosts: dict[str, str] = {}  # hotspot id -> host password (NATS)
        self.host_tokens: dict[str, str] = {}  # hotspot id -> host token (the report's credential)
        self.wifi = None
        self._connections: list[nats.NATS] = []

    def password(self, user: str) -> str:
        if user in ("operator", "city-admin"):
            return self.env["NATS_OPERATOR_PASSWORD"]
        if user.startswith("hotspot-"):
            return self.hosts[user.removeprefix("hotspot-")]
        return self.env[f"{user.upper()}_NATS_PASSWORD"]

    def url(self, user: str, scheme: str = "tls") -> str:
        return f"{scheme}://{user}:{self.password(user)}@127.0.0.1:{self.server.port}"

    def service_env(self, user: str) -> dict[str, str]:
        return {
            "NATS_URL": self.url(user),
            "HALLOBOT_NATS_INBOX_PREFIX": f"_INBOX_{user}",
            "HALLOBOT_NATS_CA_FILE": str(self.server.ca_file),
        }

    async def connect(self, user: str, **options) -> tuple[nats.NATS, list[str]]:
        """`user` as compose connects it (TLS, its own inbox prefix); the violations it is told of."""
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        if user not in ("operator", "city", "city-admin") and not user.startswith("hotspot-"):
            options.setdefault("inbox_prefix", f"_INBOX_{user}")
        nc = await nats.connect(
            self.url(user), error_cb=on_error, allow_reconnect=False, tls=tls_context(self.server.ca_file), **options
        )
        self._connections.append(nc)
        return nc, errors

    async def close_all(self) -> None:
        for nc in self._connections:
            if not nc.is_closed:
                await nc.close()
        self._connections.clear()


def violations(errors: list[str]) -> str:
    return " ".join(e for e in errors if "permissions violation" in e.lower())


async def violated(errors: list[str], *fragments: str) -> bool:
    """True once every fragment has appeared in a permissions violation the server reported."""

    async def seen() -> bool:
        text = violations(errors).lower()  # nats-py lowercases the server's message
        return all(fragment.lower() in text for fragment in fragments)

    return bool(await eventually(seen, timeout=5))


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("accounts")
    env = {name: secrets.token_hex(12) for name in compose.nats_password_variables()}
    config_dir = copy_config_dir(tmp / "nats")
    set_store_dir(config_dir / "nats.conf", tmp / "nats-data")
    ca_file = install_certificates(config_dir)
    server = ConfiguredNatsServer(config_dir / "nats.conf", tmp / "nats-data", env, ca_file).start()
    world = Accounts(server, env, tmp)
    wifi = None
    # the CITY admin's URL as a file, as the Kubernetes Job mounts it (compose's env form: test_louise_subscriber)
    city_admin_url = tmp / "HALLOBOT_CITY_NATS_URL"
    city_admin_url.write_text(world.url("city-admin") + "\n")
    try:
        declared = subprocess.run(  # as compose's one-shot: the admin declares HALLOBOT's streams and CITY's mirrors
            [sys.executable, "-m", "hallobot.cli", "streams"],
            env={
                **os.environ,
                **world.service_env("operator"),
                "HALLOBOT_NATS_INBOX_PREFIX": "_INBOX",
                "HALLOBOT_CITY_NATS_URL_FILE": str(city_admin_url),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert declared.returncode == 0, declared.stdout + declared.stderr
        (tmp / "wifi").mkdir()
        wifi = start_wifi(world.url("wifi"), tmp / "wifi", **world.service_env("wifi"))
        world.wifi = wifi

        async def two_hotspots():
            async with httpx.AsyncClient(base_url=wifi.url, timeout=10) as http:
                return [await create_hotspot(http, f"Standort {n}") for n in range(2)]

        hotspots = asyncio.run(two_hotspots())
        world.hosts = {hotspot: secrets.token_hex(12) for hotspot, _ in hotspots}
        world.host_tokens = dict(hotspots)
        stack.add_hosts(config_dir, world.hosts)  # as hosts.conf documents, then a reload
        os.kill(server.process.pid, signal.SIGHUP)
        asyncio.run(_reload_done(world))  # a connection during the reload may be refused (seen in CI)
        yield world
    finally:
        if wifi is not None:
            wifi.kill()
        server.kill()


async def _reload_done(world: Accounts) -> None:
    """Wait until the server has taken the reload: a host added by it can connect."""
    hotspot = next(iter(world.hosts))

    async def host_connects() -> bool:
        connection = await _connect_host(world, hotspot)
        return connection is not None

    assert await eventually(host_connects, timeout=30, interval=0.2), "the reload that adds the hosts never finished"
    await world.close_all()


@pytest.fixture
async def users(accounts):
    yield accounts
    await accounts.close_all()


async def test_a_service_cannot_read_the_inbox_where_notifications_pulls_private_notices(users):
    marker = uuid.uuid4().hex
    notifications, _ = await users.connect("notifications")
    wifi, wifi_errors = await users.connect("wifi")
    events, _ = await users.connect("events")
    pull = await notifications.jetstream().pull_subscribe(
        NOTICE.format(">"), durable="notifications-registrants", stream="PRIVATE"
    )
    stolen = []

    async def steal(msg):
        stolen.append(msg)

    for subject in ("_INBOX.>", "_INBOX_notifications.>", "hallobot.private.>", ">"):
        await wifi.subscribe(subject, cb=steal)
    await wifi.flush()

    notice = json.dumps({"email": f"{marker}@example.org", "cancel_token": marker}).encode()
    await events.jetstream().publish(NOTICE.format(marker), notice)
    got = []
    while not any(marker.encode() in msg.data for msg in got):
        got += await pull.fetch(10, timeout=5)  # notifications reads its notice on its own inbox
    for msg in got:
        await msg.ack()
    await asyncio.sleep(0.3)

    assert stolen == []
    assert await violated(wifi_errors, '"_INBOX.>"', '"_INBOX_notifications.>"', '"hallobot.private.>"', '">"'), (
        wifi_errors
    )


async def test_no_service_may_create_update_or_delete_a_stream(users):
    admin, _ = await users.connect("operator")
    ajs = admin.jetstream()
    wifi, errors = await users.connect("wifi")
    js = wifi.jetstream(timeout=1)
    private = (await ajs.stream_info("PRIVATE")).config
    dlq = (await ajs.stream_info("DLQ")).config

    with pytest.raises(REFUSED):  # the republish rule that copied every notice
        await js.update_stream(private.evolve(republish=RePublish(src="hallobot.private.>", dest="stolen.>")))
    with pytest.raises(REFUSED):
        await js.update_stream(dlq.evolve(max_msgs=1))
    with pytest.raises(REFUSED):
        await js.add_stream(StreamConfig(name="STOLEN", subjects=["hallobot.private.>.copy"]))
    with pytest.raises(REFUSED):
        await js.purge_stream("PRIVATE")
    with pytest.raises(REFUSED):
        await js.delete_stream("DLQ")
    for user in ("directory", "events", "notifications"):
        other, other_errors = await users.connect(user)
        with pytest.raises(REFUSED):
            await other.jetstream(timeout=1).update_stream(dlq.evolve(max_msgs=1))
        assert await violated(other_errors, "$JS.API.STREAM.UPDATE.DLQ")

    assert await violated(
        errors,
        "$JS.API.STREAM.UPDATE.PRIVATE",
        "$JS.API.STREAM.UPDATE.DLQ",
        "$JS.API.STREAM.CREATE.STOLEN",
        "$JS.API.STREAM.PURGE.PRIVATE",
        "$JS.API.STREAM.DELETE.DLQ",
    )
    for name in ("PRIVATE", "DLQ"):
        config = (await ajs.stream_info(name)).config
        assert misfits(config, STREAMS_BY_NAME[name].config()) == [], name
    with pytest.raises(NotFoundError):
        await ajs.stream_info("STOLEN")


async def test_a_service_runs_only_its_own_consumers(users):
    marker = uuid.uuid4().hex
    admin, _ = await users.connect("operator")
    ajs = admin.jetstream()
    notifications, notifications_errors = await users.connect("notifications")
    await notifications.jetstream().pull_subscribe(
        NOTICE.format(">"), durable="notifications-registrants", stream="PRIVATE"
    )
    await ajs.publish(NOTICE.format(marker), b'{"email": "someone@example.org"}')
    before = await ajs.consumer_info("PRIVATE", "notifications-registrants")

    wifi, errors = await users.connect("wifi")
    js = wifi.jetstream(timeout=1)
    with pytest.raises(REFUSED):  # pull (and so ack) the notices notifications has not mailed yet
        await (await js.pull_subscribe_bind("notifications-registrants", stream="PRIVATE")).fetch(1, timeout=1)
    with pytest.raises(REFUSED):
        await js.consumer_info("PRIVATE", "notifications-registrants")
    with pytest.raises(REFUSED):
        await js.delete_consumer("PRIVATE", "notifications-registrants")
    with pytest.raises(REFUSED):
        await js.add_consumer("PRIVATE", ConsumerConfig(durable_name="wifi-reads-private"))
    with pytest.raises(REFUSED):
        await js.add_consumer("DIRECTORY", ConsumerConfig(durable_name="notifications-directory"))
    assert await violated(
        errors,
        "$JS.API.CONSUMER.MSG.NEXT.PRIVATE.notifications-registrants",
        "$JS.API.CONSUMER.INFO.PRIVATE.notifications-registrants",
        "$JS.API.CONSUMER.DELETE.PRIVATE.notifications-registrants",
        "$JS.API.CONSUMER.DURABLE.CREATE.PRIVATE.wifi-reads-private",
        "$JS.API.CONSUMER.DURABLE.CREATE.DIRECTORY.notifications-directory",
    )
    # ...and notifications may not touch the consumer of the wifi service.
    with pytest.raises(REFUSED):
        await notifications.jetstream(timeout=1).delete_consumer("WIFI_REPORTS", "wifi-reports")
    assert await violated(notifications_errors, "$JS.API.CONSUMER.DELETE.WIFI_REPORTS.wifi-reports")

    after = await ajs.consumer_info("PRIVATE", "notifications-registrants")
    assert after.num_pending == before.num_pending and after.delivered.stream_seq == before.delivered.stream_seq
    assert (await ajs.consumer_info("WIFI_REPORTS", "wifi-reports")).name == "wifi-reports"


async def test_the_city_reads_its_own_mirrors_and_can_never_reach_a_services_consumer(users):
    marker = uuid.uuid4().hex
    subject = f"hallobot.directory.business.registered.{marker}"
    admin, _ = await users.connect("operator")
    ajs = admin.jetstream()
    notifications, _ = await users.connect("notifications")
    await notifications.jetstream().pull_subscribe(
        "hallobot.directory.>", durable="notifications-directory", stream="DIRECTORY"
    )
    await ajs.publish(subject, b'{"public": true}')
    before = await ajs.consumer_info("DIRECTORY", "notifications-directory")

    city, errors = await users.connect("city")
    js = city.jetstream(timeout=2)
    assert (await js.stream_info("DIRECTORY")).config.mirror.name == "DIRECTORY"
    reader = await js.pull_subscribe(subject, durable=f"city-{marker}", stream="DIRECTORY")
    [msg] = await reader.fetch(1, timeout=15)  # replayed from CITY's mirror, through its own consumer
    assert msg.data == b'{"public": true}'
    await msg.ack()

    # HALLOBOT's consumers are not in CITY's namespace, and the imported API is the mirrors' alone.
    with pytest.raises(NotFoundError):
        await js.consumer_info("DIRECTORY", "notifications-directory")
    await city.publish(f"$JS.HALLOBOT.API.CONSUMER.CREATE.DIRECTORY.notifications-directory.{subject}", b"{}")
    await city.publish("$JS.HALLOBOT.API.CONSUMER.CREATE.DIRECTORY", b"{}")
    # Private streams do not exist for it; their subjects never reach it.
    for stream in ("PRIVATE", "DLQ", "WIFI_REPORTS"):
        with pytest.raises(NotFoundError):
            await js.stream_info(stream)
    received = []

    async def collect(msg):
        received.append(msg)

    await city.subscribe("hallobot.private.>", cb=collect)
    await city.flush()
    await ajs.publish(NOTICE.format(marker), b'{"email": "someone@example.org"}')
    # And it may not change the mirrors themselves.
    mirror = (await js.stream_info("DIRECTORY")).config
    with pytest.raises(REFUSED):
        await js.update_stream(mirror.evolve(max_msgs=1))
    with pytest.raises(REFUSED):
        await js.delete_stream("DIRECTORY")
    await asyncio.sleep(0.3)

    assert received == []
    assert await violated(
        errors,
        "$JS.HALLOBOT.API.CONSUMER.CREATE.DIRECTORY.notifications-directory",
        '"$JS.HALLOBOT.API.CONSUMER.CREATE.DIRECTORY"',
        '"hallobot.private.>"',
        "$JS.API.STREAM.UPDATE.DIRECTORY",
        "$JS.API.STREAM.DELETE.DIRECTORY",
    )
    after = await ajs.consumer_info("DIRECTORY", "notifications-directory")
    assert after.delivered.stream_seq == before.delivered.stream_seq and after.num_pending == before.num_pending


async def test_a_host_cannot_suppress_another_hosts_report_with_its_message_id(users):
    first, second = users.host_tokens
    tokens = users.host_tokens
    hosts = {}
    for hotspot in (first, second):
        hosts[hotspot], _ = await eventually(lambda h=hotspot: _connect_host(users, h), timeout=10)

    async def send(hotspot: str, msg_id: str) -> None:
        headers = {"Nats-Msg-Id": msg_id, "Authorization": f"Bearer {tokens[hotspot]}"}
        await hosts[hotspot].publish(f"hallobot.wifi.reports.{hotspot}", json.dumps(report()).encode(), headers=headers)
        await hosts[hotspot].flush()

    await send(first, "report-1")
    await asyncio.sleep(0.3)  # past the stream's (minimal) dedup window
    await send(second, "report-1")  # the same id, chosen by another host
    async with httpx.AsyncClient(base_url=users.wifi.url, timeout=10) as http:

        async def status(hotspot):
            return (await http.get(f"/hotspots/{hotspot}")).json()["status"]

        assert await eventually_equal(lambda: status(first), "up") == "up"
        assert await eventually_equal(lambda: status(second), "up") == "up"
    await asyncio.sleep(0.3)
    await send(first, "report-1")  # a host's own repeat is still dropped, by the inbox
    await asyncio.sleep(1.0)
    keys = _inbox_keys(users.tmp / "wifi" / "var" / "wifi.sqlite3")
    assert sorted(k for k in keys if k.endswith(":report-1")) == sorted([f"{first}:report-1", f"{second}:report-1"])


async def _connect_host(users: Accounts, hotspot: str):
    try:
        return await users.connect(f"hotspot-{hotspot}")
    except Exception:  # the reload that added the hosts may not be done yet
        return None


def _inbox_keys(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        return [row[0] for row in conn.execute("SELECT message_id FROM inbox WHERE consumer = 'wifi-reports'")]


async def test_hosts_and_city_systems_connect_over_tls_only(users):
    hotspot = next(iter(users.hosts))
    with pytest.raises(Exception):  # noqa: B017 - refused before any protocol: nats-py's error depends on timing
        await nats.connect(users.url(f"hotspot-{hotspot}", scheme="nats"), allow_reconnect=False, connect_timeout=3)
    with pytest.raises(Exception):  # noqa: B017
        await nats.connect(users.url("city", scheme="nats"), allow_reconnect=False, connect_timeout=3)
    with pytest.raises(Exception):  # noqa: B017 - a certificate from another CA is not trusted
        await nats.connect(
            users.url("city"), allow_reconnect=False, connect_timeout=3, tls=ssl.create_default_context()
        )
    host, _ = await eventually(lambda: _connect_host(users, hotspot), timeout=10)
    assert host.is_connected and host.connected_url.scheme == "tls"


async def test_a_service_only_checks_the_streams_and_names_the_admin_command_when_one_is_missing(users):
    wifi, errors = await users.connect("wifi")
    js = wifi.jetstream(timeout=1)
    await ensure_streams(js)  # all there and fitting: nothing to write, nothing refused
    await wifi.flush()
    assert violations(errors) == ""
    with pytest.raises(StreamsNotDeclared, match="hallobot streams"):
        await ensure_stream(js, StreamConfig(name="UNDECLARED", subjects=["hallobot.undeclared.>"]), attempts=1)
    assert await violated(errors, "$JS.API.STREAM.CREATE.UNDECLARED")


async def test_every_service_reads_the_credential_index_and_only_notifications_writes_it(users):
    """The console's index of sessions and API tokens (shared/console/credentials.py): a service that
    could write it could make itself any operator."""
    digest = secrets.token_hex(32)
    entry = Credential(str(uuid.uuid4()), "admin", "token", None)
    notifications, notifications_errors = await users.connect("notifications")
    index = CredentialIndex()
    index.connect(lambda: notifications)
    await index.put(digest, entry)
    await index.delete(secrets.token_hex(32))
    assert violations(notifications_errors) == ""
    for user in ("directory", "events", "wifi"):
        service, errors = await users.connect(user)
        reader = CredentialIndex()
        reader.connect(lambda service=service: service)
        assert await reader.lookup(digest) == entry  # a direct get
        reader.start()  # the watch: an ordered consumer on the bucket's stream
        assert await asyncio.wait_for(reader.synced.wait(), 10)
        assert await reader.lookup(digest) == entry
        await reader.stop()
        kv = await service.jetstream(timeout=1).key_value(BUCKET)
        forged = Credential(str(uuid.uuid4()), "admin", "token", None)
        with pytest.raises(REFUSED):
            await kv.put(secrets.token_hex(32), forged.to_json())
        with pytest.raises(REFUSED):
            await kv.delete(digest)
        assert await violated(errors, f"$KV.{BUCKET}.")
    admin, _ = await users.connect("operator")
    assert set(await (await admin.jetstream().key_value(BUCKET)).keys()) == {digest}


async def test_data_protection_requests_come_only_from_notifications_and_only_it_reads_the_answers(users):
    """docs/privacy.md: a request names an address to erase or export, an access answer carries a
    person's data. Directory and events consume the requests with their own consumer and publish
    answers; they can neither ask nor read anyone's answers, and wifi takes no part."""
    marker = uuid.uuid4().hex
    requests, answers = "hallobot.private.privacy.request.>", "hallobot.private.privacy.answer.>"
    notifications, notifications_errors = await users.connect("notifications")
    njs = notifications.jetstream(timeout=2)
    await njs.pull_subscribe(answers, durable="notifications-privacy-answers", stream="PRIVATE")
    await njs.publish(f"hallobot.private.privacy.request.erasure.{marker}", b'{"email": "someone@example.org"}')
    for user in ("directory", "events"):
        service, errors = await users.connect(user)
        js = service.jetstream(timeout=1)
        own = await js.pull_subscribe(requests, durable=f"{user}-privacy", stream="PRIVATE")
        assert [m.subject for m in await own.fetch(1, timeout=5)] == [
            f"hallobot.private.privacy.request.erasure.{marker}"
        ]
        await js.publish(f"hallobot.private.privacy.answer.sent.{marker}", b"{}")  # its answer
        await service.publish(f"hallobot.private.privacy.request.access.{marker}", b'{"email": "x@example.org"}')
        with pytest.raises(REFUSED):
            await (await js.pull_subscribe_bind("notifications-privacy-answers", stream="PRIVATE")).fetch(1, timeout=1)
        with pytest.raises(REFUSED):
            await js.add_consumer(
                "PRIVATE", ConsumerConfig(durable_name=f"{user}-reads-answers", filter_subject=answers)
            )
        assert await violated(
            errors,
            "hallobot.private.privacy.request.access",
            "$JS.API.CONSUMER.MSG.NEXT.PRIVATE.notifications-privacy-answers",
            f"{user}-reads-answers",
        )
    wifi, wifi_errors = await users.connect("wifi")
    await wifi.publish(f"hallobot.private.privacy.answer.sent.{marker}", b"{}")
    assert await violated(wifi_errors, "hallobot.private.privacy.answer.sent")
    assert violations(notifications_errors) == ""
    admin, _ = await users.connect("operator")
    info = await admin.jetstream().consumer_info("PRIVATE", "notifications-privacy-answers")
    assert info.num_pending == 2  # the answers of directory and events; no access request was published
    asked = (await admin.jetstream().stream_info("PRIVATE", subjects_filter=requests)).state.subjects
    assert asked == {f"hallobot.private.privacy.request.erasure.{marker}": 1}
