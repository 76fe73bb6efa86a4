"""Benchmark: a rush of concurrent registrations on the events service, as a ratio of a bare endpoint.

    .venv/bin/python bench/registration_rush.py [--n 1000] [--capacity 100] [--database-url postgresql://…]

Both sides are real processes under uvicorn (one worker each), reached over real HTTP by the same
client in the same run, writing into the same database:
- baseline: a bare FastAPI endpoint that validates a small JSON body and does one INSERT
  (through shared.db.Database, so the same engine, pool and SQLite settings);
- HalloBot: `hallobot serve events` with a real nats-server; all N registrations are fired at once
  at one published event with `capacity` places (waitlist on), and its outbox relay is running.
Afterwards the service must hold exactly `capacity` confirmed registrations.

The rush is N citizens, not one client: the events service limits registrations per client
(EVENTS_REGISTRATION_LIMIT, shared/ratelimit/). So the bench stands where the city's reverse proxy
stands: loopback is a trusted proxy (HALLOBOT_TRUSTED_PROXIES) and every request carries its own
`X-Forwarded-For` address (198.18.0.0/15, the benchmarking range), so each registration passes the
per-client limit as a new client would, and its cost (one compare-and-set on NATS per request) is in
the measurement. The bare endpoint gets the same header.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    cpu_seconds,
    emit,
    environment,
    free_port,
    fresh_database,
    nats_server,
    print_table,
    rate,
    start,
    stop,
    wait_ready,
)

OPERATOR_TOKEN = "bench-operator-token-0123456789"
WARMUP = 50
GOAL = 0.8  # issue #19: registrations/s ≥ 0.8 × bare inserts/s, on SQLite and PostgreSQL


# --- the baseline: one INSERT behind FastAPI ------------------------------------------------

try:
    from pydantic import BaseModel

    class Body(BaseModel):
        name: str
        email: str
except ImportError:  # pragma: no cover
    pass


def bare_app(database_url: str):
    from fastapi import FastAPI
    from sqlalchemy import Column, DateTime, MetaData, String, Table

    from shared.db import Database
    from shared.envelope import utcnow

    metadata = MetaData()
    table = Table(
        "bench_bare_registrations",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("name", String(200)),
        Column("email", String(320)),
        Column("created_at", DateTime(timezone=True)),
    )
    db = Database(database_url)

    @asynccontextmanager
    async def lifespan(_):
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield
        await db.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/insert", status_code=201)
    async def insert(body: Body) -> dict:
        row_id = uuid.uuid4().hex
        async with db.transaction() as session:
            await session.execute(
                table.insert().values(id=row_id, name=body.name, email=body.email, created_at=utcnow())
            )
        return {"id": row_id}

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    return app


# --- processes ----------------------------------------------------------------------------


@dataclass
class Answer:
    status_code: int
    text: str
    seconds: float = 0.0  # from the connect to the whole answer

    def json(self):
        return json.loads(self.text)


def client_address(n: int) -> str:
    """The n-th distinct citizen, behind the (trusted) proxy."""
    return f"198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}"


async def post(url: str, body: dict, client: str) -> Answer:
    """One POST on its own connection, as forwarded for `client`. A minimal client: httpx's pool is the
    bottleneck at 1,000 concurrent requests and would hide the difference between the two servers."""
    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"X-Forwarded-For: {client}\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    return Answer(int(head.split(b" ", 2)[1]), content.decode(errors="replace"), time.perf_counter() - started)


async def fire(url: str, bodies: list[dict], first_client: int) -> tuple[float, list[Answer]]:
    """All at once, the i-th from client `first_client + i`."""
    started = time.perf_counter()
    responses = await asyncio.gather(
        *(post(url, body, client_address(first_client + i)) for i, body in enumerate(bodies))
    )
    return time.perf_counter() - started, responses


def person(tag: str, i: int) -> dict:
    return {"name": f"Person {i}", "email": f"{tag}{i}@example.org", "consent": True}


async def measure(database_url: str, n: int, capacity: int, work: Path) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    with nats_server() as nats:
        bare_port, events_port = free_port(), free_port()
        bare = start(
            [sys.executable, __file__, "--serve-bare", "--port", str(bare_port), "--database-url", database_url],
            {},
            work / "bare.log",
        )
        events = start(
            [sys.executable, "-m", "hallobot.cli", "serve", "events", "--port", str(events_port)],
            {
                "NATS_URL": nats.url,
                "EVENTS_DATABASE_URL": database_url,
                "HALLOBOT_DATA_DIR": str(work / "var"),
                "HALLOBOT_OPERATOR_TOKEN": OPERATOR_TOKEN,
                "HALLOBOT_LOG_LEVEL": "WARNING",
                "HALLOBOT_ENV": "test",
                "HALLOBOT_TRUSTED_PROXIES": "127.0.0.1/32",  # the bench is the city's proxy
            },
            work / "events.log",
        )
        bare_url, events_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{events_port}"
        try:
            async with httpx.AsyncClient(timeout=120, limits=limits) as client:
                await wait_ready(client, bare_url, bare, work / "bare.log")
                await wait_ready(client, events_url, events, work / "events.log")
                operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

                async def new_event(places: int) -> str:
                    body = {
                        "title": "Bench",
                        "starts_at": "2040-01-01T10:00:00",
                        "ends_at": "2040-01-01T12:00:00",
                        "venue": "Rathaus",
                        "capacity": places,
                        "waitlist": True,
                    }
                    event_id = (await client.post(f"{events_url}/events", json=body, headers=operator)).json()["id"]
                    await client.post(f"{events_url}/events/{event_id}/publish", headers=operator)
                    return event_id

                # warm both up (connections, imports, caches) before the clock runs
                warm_id = await new_event(10)
                warm = [person("w", i) for i in range(WARMUP)]
                await fire(f"{bare_url}/insert", warm, 0)
                await fire(f"{events_url}/events/{warm_id}/registrations", warm, 0)

                cpu = cpu_seconds(bare.pid)
                bare_s, bare_responses = await fire(f"{bare_url}/insert", [person("b", i) for i in range(n)], WARMUP)
                bare_cpu = cpu_seconds(bare.pid) - cpu
                event_id = await new_event(capacity)
                cpu = cpu_seconds(events.pid)
                rush_s, rush_responses = await fire(
                    f"{events_url}/events/{event_id}/registrations", [person("r", i) for i in range(n)], WARMUP
                )
                rush_cpu = cpu_seconds(events.pid) - cpu
                view = (await client.get(f"{events_url}/events/{event_id}")).json()
        finally:
            stop(events)
            stop(bare)
    failures = [r for r in [*bare_responses, *rush_responses] if r.status_code != 201]
    if failures:
        print(
            f"{len(failures)} failed requests, e.g. {failures[0].status_code} {failures[0].text[:300]}", file=sys.stderr
        )
    registered = [r.json() for r in rush_responses if r.status_code == 201]
    statuses = [r["status"] for r in registered]
    return {
        "bare_s": bare_s,
        "rush_s": rush_s,
        # context: how long each request waited for its answer (the desk batches registrations)
        "bare_latency_ms": latency_ms(bare_responses),
        "rush_latency_ms": latency_ms(rush_responses),
        # context: the server's CPU per request while the requests were answered (the events process also
        # publishes the outbox then; what its relay does after the last answer is not counted)
        "bare_cpu_ms_per_request": round(bare_cpu / n * 1000, 3),
        "rush_cpu_ms_per_request": round(rush_cpu / n * 1000, 3),
        "waitlist_positions_in_order": sorted(r["position"] for r in registered if r["status"] == "waitlisted")
        == list(range(1, statuses.count("waitlisted") + 1)),
        "failures": len(failures),
        "confirmed_responses": statuses.count("confirmed"),
        "waitlisted_responses": statuses.count("waitlisted"),
        "confirmed_stored": view["confirmed"],
        "waitlisted_stored": view["waitlisted"],
    }


def latency_ms(answers: list[Answer]) -> dict[str, float]:
    seconds = sorted(answer.seconds for answer in answers)
    return {
        "p50": round(seconds[len(seconds) // 2] * 1000, 1),
        "p99": round(seconds[int(len(seconds) * 0.99)] * 1000, 1),
    }


async def main_async(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="hallobot-bench-rush-"))
    try:
        async with fresh_database(args.database_url, work) as url:
            result = await measure(url, args.n, args.capacity, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bare_rate, rush_rate = rate(args.n, result["bare_s"]), rate(args.n, result["rush_s"])
    ratio = rush_rate / bare_rate
    print_table(
        f"{args.n} concurrent requests, {args.capacity} places ({'postgresql' if args.database_url else 'sqlite'})",
        [
            ("bare FastAPI + one INSERT", str(args.n), f"{result['bare_s']:.3f}", f"{bare_rate:.0f}"),
            ("HalloBot registration", str(args.n), f"{result['rush_s']:.3f}", f"{rush_rate:.0f}"),
        ],
    )
    print(f"\nratio registrations/s ÷ bare inserts/s: {ratio:.2f} (goal ≥ {GOAL})")
    bare_latency, rush_latency = result["bare_latency_ms"], result["rush_latency_ms"]
    print(
        f"answer after (ms), p50 / p99: bare {bare_latency['p50']} / {bare_latency['p99']}, "
        f"registration {rush_latency['p50']} / {rush_latency['p99']}; server CPU per request (ms): "
        f"bare {result['bare_cpu_ms_per_request']}, registration {result['rush_cpu_ms_per_request']}"
    )
    print(
        f"confirmed: {result['confirmed_stored']} (must be exactly {args.capacity}); "
        f"waitlisted: {result['waitlisted_stored']}; failed requests: {result['failures']}"
    )
    ok = (
        result["confirmed_stored"] == result["confirmed_responses"] == args.capacity
        and result["failures"] == 0
        and result["waitlist_positions_in_order"]
    )
    emit(
        {
            "bench": "registration_rush",
            "n": args.n,
            "capacity": args.capacity,
            "goal": GOAL,
            "database": "postgresql" if args.database_url else "sqlite",
            "bare_per_s": round(bare_rate, 1),
            "registrations_per_s": round(rush_rate, 1),
            "ratio": round(ratio, 3),
            **result,
            "ok": ok,
            "environment": environment(),
        },
        args.json_path,
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="concurrent registrations (default 1000)")
    parser.add_argument("--capacity", type=int, default=100, help="places of the event (default 100)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HALLOBOT_BENCH_DATABASE_URL"),
        help="postgresql://… (a fresh database is created and dropped); default: SQLite",
    )
    parser.add_argument("--json", dest="json_path", help="also write the result JSON line to this file")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvicorn

        uvicorn.run(bare_app(args.database_url), host="127.0.0.1", port=args.port, log_level="warning")
        return 0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
