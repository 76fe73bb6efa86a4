"""The four services start as real processes and serve their operational endpoints."""

from __future__ import annotations

import signal
import socket
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hallobot.ports import free_port
from shared.config import SERVICES
from tests.support.nats import running_nats
from tests.support.services import ServiceProcess


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory):
    yield from running_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def running_services(nats_server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("services")
    env = {
        "NATS_URL": nats_server.url,
        "HALLOBOT_DATA_DIR": str(tmp_path / "var"),
        "HALLOBOT_OPERATOR_TOKEN": "test-operator-token-123456",
    }
    services = {
        name: ServiceProcess(name, {**env, "HALLOBOT_INTERNAL_PORT": str(free_port())}, tmp_path).start()
        for name in SERVICES
    }
    try:
        for service in services.values():
            service.wait_ready()
        yield services
    finally:
        for service in services.values():
            service.kill()


def internal(service: ServiceProcess) -> str:
    """The service's internal listener: /metrics and the detailed /readyz."""
    return f"http://127.0.0.1:{service.env['HALLOBOT_INTERNAL_PORT']}"


def test_every_service_serves_health_readiness_docs_and_asyncapi_and_metrics_internally(running_services):
    for name, service in running_services.items():
        assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{service.url}/readyz").json() == {"status": "ready"}
        assert httpx.get(f"{internal(service)}/readyz").json() == {"status": "ready", "broker": "ok", "database": "ok"}
        assert httpx.get(f"{service.url}/metrics").status_code == 404
        metrics = httpx.get(f"{internal(service)}/metrics")
        assert metrics.status_code == 200 and "hallobot_outbox_published_total" in metrics.text
        answered = {
            (sample.labels["route"], sample.labels["status"]): sample.value
            for family in text_string_to_metric_families(metrics.text)
            for sample in family.samples
            if sample.name == "hallobot_http_requests_total" and sample.labels["service"] == name
        }
        assert answered[("/healthz", "2xx")] == 1 and answered[("unmatched", "4xx")] == 1, answered
        assert httpx.get(f"{service.url}/docs").status_code == 200
        assert httpx.get(f"{service.url}/openapi.json").json()["info"]["title"] == f"HalloBot {name}"
        asyncapi = httpx.get(f"{service.url}/asyncapi.json").json()
        assert asyncapi["asyncapi"] == "3.0.0" and asyncapi["channels"], name


def test_a_nats_outage_is_reported_but_leaves_the_instance_ready_and_alive(running_services, nats_server):
    """Readiness gates on the database only: a NATS blip must not take every instance out of the load
    balancer at once (pages answer from the database, writes wait in the outbox). The internal readiness
    names the broker; it is "ok" again after the reconnect."""
    wifi = running_services["wifi"]
    nats_server.stop()
    try:
        response = httpx.get(f"{wifi.url}/readyz", timeout=5)
        assert response.status_code == 200 and response.json() == {"status": "ready"}, "no details in public"
        detailed = httpx.get(f"{internal(wifi)}/readyz", timeout=5)
        assert detailed.status_code == 200
        assert detailed.json()["broker"].startswith("unreachable") and detailed.json()["database"] == "ok"
        assert httpx.get(f"{wifi.url}/healthz", timeout=5).json() == {"status": "ok"}  # it reconnects by itself
        assert httpx.get(f"{wifi.url}/hotspots", timeout=5).status_code == 200  # and keeps answering
    finally:
        nats_server.start()
    deadline = time.monotonic() + 20
    while httpx.get(f"{internal(wifi)}/readyz", timeout=5).json()["broker"] != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert httpx.get(f"{internal(wifi)}/readyz", timeout=5).json()["broker"] == "ok"


def test_a_service_declares_every_stream_hallobot_uses(running_services, nats_server):
    import asyncio

    import nats

    from shared.streams import STREAMS

    async def stream_names():
        nc = await nats.connect(nats_server.url)
        try:
            # key-value buckets (KV_…: the credential index, the rate limits) are not event streams
            names = {info.config.name for info in await nc.jetstream().streams_info()}
            return {name for name in names if not name.startswith("KV_")}
        finally:
            await nc.close()

    assert asyncio.run(stream_names()) == {spec.name for spec in STREAMS}


def test_a_service_stops_cleanly_on_sigterm(running_services):
    events = running_services["events"]
    # uvicorn finishes the shutdown, then re-raises SIGTERM so the exit status tells why it ended.
    assert events.terminate() in (0, -signal.SIGTERM)
    log = events.log_path.read_text()
    assert "Application shutdown complete" in log and "Traceback" not in log


def _critical_lines(log_path) -> list[str]:
    import json

    return [
        json.loads(line)["message"]
        for line in log_path.read_text().splitlines()
        if line.startswith("{") and json.loads(line)["level"] == "CRITICAL"
    ]


def test_a_service_whose_database_cannot_be_reached_exits_saying_so_in_one_line(tmp_path):
    port = free_port()  # nobody listens there
    service = ServiceProcess(
        "events",
        {
            "EVENTS_DATABASE_URL": f"postgresql://hallobot:s3cret-pw@127.0.0.1:{port}/events",
            "HALLOBOT_DATA_DIR": str(tmp_path / "var"),
        },
        tmp_path,
    ).start()
    try:
        assert service.process.wait(30) == 3  # uvicorn's "startup failed"
    finally:
        service.kill()
    [line] = _critical_lines(service.log_path)
    assert line.startswith(
        f"events cannot start: the database postgresql://hallobot:***@127.0.0.1:{port}/events "
        "cannot be reached or migrated (ConnectionRefusedError"
    )
    assert "s3cret-pw" not in service.log_path.read_text()


def test_a_service_that_finds_no_nats_says_it_waits_and_exits_after_the_connect_timeout(tmp_path):
    service = ServiceProcess(
        "events",
        {
            "NATS_URL": f"nats://127.0.0.1:{free_port()}",
            "HALLOBOT_DATA_DIR": str(tmp_path / "var"),
            "HALLOBOT_NATS_CONNECT_TIMEOUT_S": "6",
        },
        tmp_path,
    ).start()
    try:
        assert service.process.wait(40) == 3
    finally:
        service.kill()
    assert "waiting for NATS at nats://127.0.0.1:" in service.log_path.read_text()
    [line] = _critical_lines(service.log_path)
    assert line.startswith("events cannot start: NATS at nats://127.0.0.1:") and line.endswith(
        "did not answer within 6 s"
    )


def test_a_service_whose_internal_port_is_taken_exits_saying_so_in_one_line(tmp_path):
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        service = ServiceProcess(
            "events", {"HALLOBOT_DATA_DIR": str(tmp_path / "var"), "HALLOBOT_INTERNAL_PORT": str(port)}, tmp_path
        ).start()
        try:
            assert service.process.wait(30) == 3
        finally:
            service.kill()
    [line] = _critical_lines(service.log_path)
    assert line.startswith(f"events cannot start: the internal port 127.0.0.1:{port} (HALLOBOT_INTERNAL_PORT) cannot")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_loads_no_pdf_calendar_or_migration_library_until_it_needs_one(service):
    """What keeps start-up and memory near a bare app's (bench/README.md, "Start-up and memory"):
    reportlab and icalendar load when a PDF or calendar is asked for, alembic only for a database
    that is not at its head yet."""
    import subprocess
    import sys

    heavy = ("reportlab", "icalendar", "alembic")
    code = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "print(' '.join(name for name in sys.argv[2:] if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code, f"services.{service}.app", *heavy],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    assert loaded == [], f"{service} loads {loaded} at start"


def test_hallobot_up_itself_loads_neither_pydantic_nor_httpx():
    """`up` runs as long as the services: what it loads stays in memory for the whole run."""
    import subprocess
    import sys

    code = (
        "import sys, hallobot.cli, hallobot.up; hallobot.up.plan_from_env(); "
        "print(' '.join(name for name in ('pydantic', 'httpx', 'fastapi', 'sqlalchemy') if name in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert loaded.stdout.split() == []
