"""Liveness and readiness in process (shared/service/probes.py, runtime.py): liveness fails only for what
a restart mends, a NATS client closed for good; readiness gates on the database alone (a NATS outage
is tested against real processes in test_services_start.py)."""

from __future__ import annotations

import asyncio

import httpx

from hallobot.services import create_app, settings_for
from shared.service.runtime import READINESS_GATES, is_ready


def test_readiness_gates_on_the_database_only():
    assert READINESS_GATES == ("database",)
    assert is_ready({"broker": "unreachable (ConnectionRefusedError)", "database": "ok"})
    assert not is_ready({"broker": "ok", "database": "unreachable (OperationalError)"})
    assert not is_ready({"broker": "ok"})


def test_liveness_fails_once_the_nats_client_is_closed_for_good(nats_server, tmp_path):
    settings = settings_for("wifi", nats_url=nats_server.url, data_dir=tmp_path, environment="test")
    app = create_app("wifi", settings)

    async def probe() -> tuple[httpx.Response, httpx.Response]:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wifi") as client:
                alive = await client.get("/healthz")
                # the client's state after a close (nats-py's is_closed), what no reconnect mends; set
                # back afterwards so that the service stops as usual
                connection = app.state.runtime.broker.connection
                status, connection._status = connection._status, connection.CLOSED
                try:
                    closed = await client.get("/healthz")
                finally:
                    connection._status = status
        return alive, closed

    alive, closed = asyncio.run(probe())
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}
    assert closed.status_code == 503 and closed.json() == {"status": "the NATS connection is closed"}
