"""The compose stack as compose would run it, on loopback: deploy/'s NATS configuration with its
users and permissions, one PostgreSQL database and role per service (deploy/'s init script), an
SMTP server, and the four services with the compose commands and environment."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import uuid

import asyncpg
import httpx
import nats
import pytest
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from shared.config import SERVICES
from shared.console.credentials import BUCKET as CREDENTIALS_BUCKET
from shared.ratelimit import bucket_name
from shared.streams import STREAMS
from tests.deploy import compose, stack
from tests.deploy.nats_node import (
    ConfiguredNatsServer,
    copy_config_dir,
    install_certificates,
    set_store_dir,
    tls_context,
)
from tests.support.smtp import SmtpServer
from tests.support.stream import eventually

pytestmark = pytest.mark.postgres

PUBLIC_STREAMS = ("DIRECTORY", "EVENTS", "WIFI", "FAIRTRADE", "NOTIFICATIONS")
HOTSPOTS = {str(uuid.uuid4()): f"host-{i}-{uuid.uuid4().hex}" for i in range(2)}
# Things the tests below try on purpose; any other permission violation is a missing permission.
PROBE = "denied-probe"


class Stack:
    def __init__(self, env, nats_server, services):
        self.env, self.nats, self.services = env, nats_server, services

    def url(self, user: str, password: str) -> str:
        return f"tls://{user}:{password}@127.0.0.1:{self.nats.port}"

    async def connect(self, user: str, password: str, **options) -> tuple[nats.NATS, list[Exception]]:
        errors: list[Exception] = []

        async def on_error(exc: Exception) -> None:
            errors.append(exc)

        nc = await nats.connect(
            self.url(user, password),
            error_cb=on_error,
            allow_reconnect=False,
            tls=tls_context(self.nats.ca_file),
            **options,
        )
        return nc, errors

    async def operator(self):
        return await self.connect("operator", self.env["NATS_OPERATOR_PASSWORD"])


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory, postgres_url):
    tmp = tmp_path_factory.mktemp("compose")
    env = stack.secret_env()
    loaded = compose.load(env)
    spec = loaded["services"]
    nats_env = stack.nats_environment(loaded, spec["nats"], env, tmp / "nats-secrets")
    config_dir = copy_config_dir(tmp / "nats")
    stack.add_hosts(config_dir, HOTSPOTS)
    set_store_dir(config_dir / "nats.conf", tmp / "nats-data")
    ca_file = install_certificates(config_dir)
    nats_server = ConfiguredNatsServer(config_dir / "nats.conf", tmp / "nats-data", nats_env, ca_file).start()
    smtp = SmtpServer().start()
    stack.run_postgres_init(
        postgres_url,
        compose.environment(spec["postgres"]),
        compose.secret_files(loaded, spec["postgres"], env, tmp / "postgres-secrets"),
    )
    services = {}
    try:
        streams = stack.run_one_shot(
            spec["nats-streams"],
            nats_port=nats_server.port,
            nats_ca_file=ca_file,
            workdir=tmp,
            secret_files=compose.secret_files(loaded, spec["nats-streams"], env, tmp / "streams-secrets"),
        )
        assert streams.returncode == 0, streams.stdout + streams.stderr
        for name in SERVICES:
            workdir = tmp / name
            workdir.mkdir()
            services[name] = stack.service_as_compose_runs_it(
                name,
                spec[name],
                nats_port=nats_server.port,
                postgres_server_url=postgres_url,
                smtp_port=smtp.port,
                workdir=workdir,
                nats_ca_file=ca_file,
                secret_files=compose.secret_files(loaded, spec[name], env, workdir / "secrets"),
            ).start(cwd=workdir)
        for service in services.values():
            service.wait_ready()
        yield Stack(env, nats_server, services)
    finally:
        for service in services.values():
            service.stop()
        nats_server.kill()
        smtp.stop()
        asyncio.run(_drop_databases_and_roles(postgres_url))


async def _drop_databases_and_roles(server_url: str) -> None:
    url = make_url(server_url)
    conn = await asyncpg.connect(
        host=url.query.get("host") or url.host,
        port=url.port,
        user=url.username,
        password=url.password or None,
        database=url.database or "postgres",
    )
    try:
        for name in SERVICES:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await conn.close()


def permission_violations(errors: list[Exception]) -> list[str]:
    return [str(e) for e in errors if "permissions violation" in str(e).lower()]


def test_every_service_is_healthy_by_its_compose_healthcheck(running_stack):
    for name, service in running_stack.services.items():
        check = subprocess.run(service.healthcheck, capture_output=True, text=True, timeout=10)
        assert check.returncode == 0, f"{name}: {check.stderr[-500:]}"
        assert httpx.get(f"{service.url}/readyz").json() == {"status": "ready"}, name
        ready = httpx.get(f"{service.internal_url}/readyz").json()
        assert ready == {"status": "ready", "broker": "ok", "database": "ok"}, name
        assert httpx.get(f"{service.url}/asyncapi.json").status_code == 200
        assert httpx.get(f"{service.url}/docs").status_code == 200
    nats_health = compose.healthcheck_url(compose.raw()["services"]["nats"]).replace(
        ":8222/", f":{running_stack.nats.monitor_port}/"
    )
    assert httpx.get(nats_health).status_code == 200


async def test_the_admin_declared_every_stream_and_the_services_needed_no_other_permission(running_stack):
    nc, _ = await running_stack.operator()
    try:
        names = {info.config.name for info in await nc.jetstream().streams_info()}
    finally:
        await nc.close()
    buckets = {f"KV_{bucket_name(name)}" for name in SERVICES} | {f"KV_{CREDENTIALS_BUCKET}"}
    assert names == {spec.name for spec in STREAMS} | buckets
    violations = [
        line
        for line in running_stack.nats.log_path.read_text().splitlines()
        if "violation" in line.lower() and PROBE not in line and "user:hotspot-" not in line and "user:city" not in line
    ]
    assert not violations, "\n".join(violations)


def test_the_self_registration_limit_holds_on_the_compose_accounts(running_stack):
    """The limiter's bucket is the admin's to declare and the directory's to use: were a permission
    missing, the limiter would let every request through (it fails open), and this would not be a 429."""
    directory = running_stack.services["directory"]
    answers = [
        httpx.post(f"{directory.url}/businesses", json={"name": f"Flut {n}", "category": "handwerk"}).status_code
        for n in range(6)  # DIRECTORY_REGISTRATION_LIMIT is 5 per hour by default
    ]
    assert answers == [201] * 5 + [429], answers


async def test_every_service_database_is_owned_by_its_own_role(running_stack, postgres_url):
    server = make_url(postgres_url)
    host = server.query.get("host") or server.host
    pw = running_stack.env
    own = await asyncpg.connect(
        host=host, port=server.port, user="events", database="events", password=pw["EVENTS_DB_PASSWORD"]
    )
    try:
        assert await own.fetchval("SELECT count(*) FROM alembic_version") == 1
    finally:
        await own.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(
            host=host, port=server.port, user="events", database="directory", password=pw["EVENTS_DB_PASSWORD"]
        )


async def test_a_hotspot_host_publishes_its_own_reports_but_not_another_hotspots(running_stack):
    (mine, password), (other, _) = HOTSPOTS.items()
    host, errors = await running_stack.connect(f"hotspot-{mine}", password)
    operator, _ = await running_stack.operator()
    js = operator.jetstream()
    try:
        await host.publish(f"hallobot.wifi.reports.{other}", b'{"status": "up", "probe": "%s"}' % PROBE.encode())
        await host.publish(f"hallobot.wifi.reports.{mine}", b'{"status": "up"}')
        await host.flush()
        assert await eventually(lambda: _async(permission_violations(errors)), timeout=5)
        assert f"hallobot.wifi.reports.{other}" in permission_violations(errors)[0]

        async def stored(subject):
            with contextlib.suppress(NotFoundError):
                return await js.get_last_msg("WIFI_REPORTS", subject)
            return None

        assert await eventually(lambda: stored(f"hallobot.wifi.reports.{mine}"), timeout=5)
        assert await stored(f"hallobot.wifi.reports.{other}") is None
        # A host sees nothing of the platform's traffic, not even the reports stream.
        await host.subscribe("hallobot.>")
        await host.flush()
        assert await eventually(lambda: _async(len(permission_violations(errors)) == 2), timeout=5)
    finally:
        await host.close()
        await operator.close()


async def test_a_wrong_host_password_is_refused(running_stack):
    mine = next(iter(HOTSPOTS))
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await nats.connect(
            running_stack.url(f"hotspot-{mine}", "wrong"),
            allow_reconnect=False,
            max_reconnect_attempts=0,
            tls=tls_context(running_stack.nats.ca_file),
        )


async def test_a_service_publishes_only_its_own_subjects(running_stack):
    wifi, errors = await running_stack.connect("wifi", running_stack.env["WIFI_NATS_PASSWORD"])
    try:
        await wifi.publish(f"hallobot.directory.business.registered.{PROBE}", b"{}")
        await wifi.publish(f"hallobot.private.events.{PROBE}", b"{}")
        await wifi.flush()
        assert await eventually(lambda: _async(len(permission_violations(errors)) == 2), timeout=5)
    finally:
        await wifi.close()


async def test_city_systems_replay_the_public_streams_from_their_own_mirrors_but_never_private_ones(running_stack):
    marker = uuid.uuid4().hex
    operator, _ = await running_stack.operator()
    city, errors = await running_stack.connect("city", running_stack.env["CITY_NATS_PASSWORD"])
    try:
        ojs = operator.jetstream()
        await ojs.publish(f"hallobot.directory.business.registered.{marker}", b'{"public": true}')
        await ojs.publish(f"hallobot.private.events.{marker}", b'{"email": "someone@example.org"}')
        js = city.jetstream(timeout=2)

        # Public: the account CITY holds a mirror of each public stream (made by `hallobot streams`);
        # a durable consumer of its own replays it from the start.
        for stream in PUBLIC_STREAMS:
            assert (await js.stream_info(stream)).config.mirror.name == stream
        reader = await js.pull_subscribe(
            f"hallobot.directory.business.registered.{marker}", durable=f"city-{marker}", stream="DIRECTORY"
        )
        [msg] = await reader.fetch(1, timeout=10)
        assert msg.data == b'{"public": true}'
        await msg.ack()

        # Private: CITY has no such streams, and nothing of them reaches its subjects.
        for stream in ("PRIVATE", "DLQ", "WIFI_REPORTS"):
            with pytest.raises(NotFoundError):
                await js.stream_info(stream)
        received = []

        async def collect(msg):
            received.append(msg)

        await city.subscribe("hallobot.>", cb=collect)
        await city.flush()
        await operator.publish(f"hallobot.private.events.{marker}", b"personal data")
        await operator.flush()
        await asyncio.sleep(0.3)
        assert [m for m in received if "private" in m.subject] == []
        assert 'subscription to "hallobot.>"' in " ".join(permission_violations(errors)).lower()
    finally:
        await city.close()
        await operator.close()


async def _async(value):
    return value
