"""Benchmark: CPU per host report over HTTP (the wifi service) against a bare FastAPI INSERT route.

    .venv/bin/python bench/report_cpu.py [--n 3000] [--rounds 3] [--concurrency 4] [--quick]
                                         [--database-url postgresql://…] [--json PATH] [--profile PATH]

Both sides are real processes under uvicorn (one worker each) on loopback, reached by the same httpx
client (kept-alive connections, `--concurrency` requests in flight), writing into the same database:
- bare: a FastAPI route `POST /hotspots/{id}/reports` that validates a body of the same fields with a
  plain pydantic model and does one INSERT into a table of the same columns (through shared.db.Database:
  the same engine, pool and SQLite settings); no credential, no middleware;
- wifi: `hallobot serve wifi` on a private nats-server, its hotspots registered through the API; every
  report carries its hotspot's host credential (`Authorization: Bearer …`), so it passes the
  credential check, the per-hotspot rate limit (WIFI_REPORT_LIMIT, counted in the hotspot's row), the status
  machine, the report's INSERT and the status row's UPDATE, and the shared middleware.

What is measured is the CPU time of each server process (user + system, every thread, /proc/<pid>/stat)
before and after each slice of requests, divided by the requests of the slice; the client's own CPU is
in neither. Three contenders, in `--rounds` rounds of alternating slices (so a change of the machine's
load hits all of them alike):
- `bare`: the bare INSERT route;
- `report`: steady reports (uplink fine, no status change): the route alone, the relay idle;
- `change`: every report a status change (WIFI_CONFIRM_REPORTS=1, uplink alternating): the route plus
  one outbox event, the relay's wake-up and publish to JetStream, all in the wifi process (what
  bench/notify.py's HTTP→SSE run makes the service do; context).

**ratio = bare CPU per request ÷ report CPU per request** (higher is better; goal ≥ 0.5, i.e. a report
costs at most twice a bare INSERT); `ratio_change` the same for `change`. Each hotspot reports at most
~60 times in the run (hotspots = n ÷ 40), as a host reporting every minute does in WIFI_REPORT_WINDOW_S,
so the rate limiter's window holds what it holds in production. The wifi process's idle CPU (its
status check every WIFI_CHECK_INTERVAL_S, its pull requests) is measured for `--idle-s` before the
slices and printed, with the wifi figures less it, as context: on a loaded machine where the client
gets few requests through per second, it is a noticeable share of the headline figures. Exit 1 when a
request was not answered 202/201 or a report was not stored, not when the goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    cpu_seconds,
    emit,
    environment,
    free_port,
    fresh_database,
    hotspot_body,
    nats_server,
    start,
    stop,
    wait_ready,
)

OPERATOR_TOKEN = "bench-operator-token-0123456789"
GOAL = 0.5
REPORTS_PER_HOTSPOT = 40  # a host reporting every minute sends 60 in the limiter's hour


# --- the baseline: one INSERT behind FastAPI ------------------------------------------------

try:  # at module level: FastAPI resolves the body's annotation here (postponed annotations)
    from pydantic import AwareDatetime, BaseModel, Field

    class Body(BaseModel):
        """The report's fields, plainly validated."""

        timestamp: AwareDatetime
        uplink_ok: bool
        clients: int = Field(ge=0, le=10_000)
        backhaul_mbps: float | None = None
        notes: str | None = None
except ImportError:  # pragma: no cover
    pass


def bare_app(database_url: str):
    from fastapi import FastAPI
    from sqlalchemy import Boolean, Column, DateTime, Float, Integer, MetaData, String, Table

    from shared.db import Database
    from shared.envelope import utcnow

    metadata = MetaData()
    table = Table(
        "bench_bare_reports",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("hotspot_id", String(36), nullable=False),
        Column("reported_at", DateTime(timezone=True), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("uplink_ok", Boolean, nullable=False),
        Column("clients", Integer, nullable=False),
        Column("backhaul_mbps", Float, nullable=True),
        Column("notes", String(500), nullable=True),
    )
    db = Database(database_url)

    @asynccontextmanager
    async def lifespan(_):
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield
        await db.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/hotspots/{hotspot_id}/reports", status_code=202)
    async def insert(hotspot_id: str, body: Body) -> dict:
        async with db.transaction() as session:
            values = body.model_dump()
            values["reported_at"] = values.pop("timestamp")
            await session.execute(table.insert().values(hotspot_id=hotspot_id, received_at=utcnow(), **values))
        return {"hotspot_id": hotspot_id, "duplicate": False, "stale": False, "status": None}

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    return app


def serve_wifi_profiled(port: int, profile_path: str) -> int:
    """The wifi service as `hallobot serve wifi`, with cProfile switched on by SIGUSR1 and off (and
    written to `profile_path`) by SIGUSR2: only the measured slices are profiled (the loop's thread)."""
    import cProfile

    from hallobot.cli import main

    profiler = cProfile.Profile()
    signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())

    def dump(*_) -> None:
        profiler.disable()
        profiler.dump_stats(profile_path)

    signal.signal(signal.SIGUSR2, dump)
    return main(["serve", "wifi", "--port", str(port)])


# --- processes ----------------------------------------------------------------------------


class Hotspot:
    """A hotspot and its reports' clock: every report of it a microsecond later than its last at least
    (a report with the same timestamp would be a duplicate)."""

    def __init__(self, hotspot_id: str, token: str) -> None:
        self.id, self.token, self.last, self.sent = hotspot_id, token, datetime.now(UTC), 0

    def report(self, uplink_ok: bool) -> dict:
        self.last = max(datetime.now(UTC), self.last + timedelta(microseconds=1))
        self.sent += 1
        return {"timestamp": self.last.isoformat(), "uplink_ok": uplink_ok, "clients": 3, "backhaul_mbps": 95.5}


async def slice_of(client, url: str, hotspots: list[Hotspot], n: int, concurrency: int, change: bool) -> list[int]:
    """`n` reports, `concurrency` at a time; each worker owns its hotspots (their reports stay in order)."""
    statuses: list[int] = []

    async def worker(mine: list[Hotspot], count: int) -> None:
        for i in range(count):
            hotspot = mine[i % len(mine)]
            body = hotspot.report(uplink_ok=not change or hotspot.sent % 2 == 0)
            response = await client.post(
                f"{url}/hotspots/{hotspot.id}/reports", json=body, headers={"Authorization": f"Bearer {hotspot.token}"}
            )
            statuses.append(response.status_code)

    workers = min(concurrency, len(hotspots))
    shares = [n // workers + (1 if w < n % workers else 0) for w in range(workers)]
    await asyncio.gather(*(worker(hotspots[w::workers], shares[w]) for w in range(workers)))
    return statuses


async def measure(args, database_url: str, work: Path) -> dict:
    import httpx

    n_hotspots = max(4, -(-args.n // REPORTS_PER_HOTSPOT))
    per_slice = max(1, args.n // args.rounds)
    with nats_server() as nats:
        bare_port, wifi_port = free_port(), free_port()
        bare = start(
            [sys.executable, __file__, "--serve-bare", "--port", str(bare_port), "--database-url", database_url],
            {},
            work / "bare.log",
        )
        wifi_command = [sys.executable, "-m", "hallobot.cli", "serve", "wifi", "--port", str(wifi_port)]
        if args.profile:
            wifi_command = [
                sys.executable,
                __file__,
                "--serve-wifi",
                "--port",
                str(wifi_port),
                "--profile",
                args.profile,
            ]
        wifi = start(
            wifi_command,
            {
                "NATS_URL": nats.url,
                "WIFI_DATABASE_URL": database_url,
                "WIFI_CONFIRM_REPORTS": "1",  # every alternating report of a `change` hotspot is a change
                "HALLOBOT_DATA_DIR": str(work / "var"),
                "HALLOBOT_OPERATOR_TOKEN": OPERATOR_TOKEN,
                "HALLOBOT_LOG_LEVEL": "WARNING",
                "HALLOBOT_ENV": "test",
            },
            work / "wifi.log",
        )
        bare_url, wifi_url = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{wifi_port}"
        pids = {"bare": bare.pid, "report": wifi.pid, "change": wifi.pid}
        urls = {"bare": bare_url, "report": wifi_url, "change": wifi_url}
        limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
        try:
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                await wait_ready(client, bare_url, bare, work / "bare.log")
                await wait_ready(client, wifi_url, wifi, work / "wifi.log")
                operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
                groups: dict[str, list[Hotspot]] = {"bare": [], "report": [], "change": []}
                for name in groups:
                    for i in range(n_hotspots):
                        if name == "bare":
                            groups[name].append(Hotspot(uuid.uuid4().hex, "-"))
                            continue
                        response = await client.post(f"{wifi_url}/hotspots", json=hotspot_body(i), headers=operator)
                        response.raise_for_status()
                        created = response.json()
                        groups[name].append(Hotspot(created["id"], created["host_token"]))
                # idle: what the wifi process spends with nothing to do (its status check, pull requests)
                idle_before, idle_at = cpu_seconds(wifi.pid), time.perf_counter()
                await asyncio.sleep(args.idle_s)
                idle_ms_per_s = (cpu_seconds(wifi.pid) - idle_before) / (time.perf_counter() - idle_at) * 1000
                # warm-up (imports, caches, connections; the first report of each hotspot), untimed
                for name in groups:
                    await slice_of(client, urls[name], groups[name], n_hotspots * 2, args.concurrency, name == "change")
                cpu = dict.fromkeys(groups, 0.0)
                seconds = dict.fromkeys(groups, 0.0)
                counts = dict.fromkeys(groups, 0)
                failures: list[int] = []
                loads = [os.getloadavg()[0]]
                for r in range(args.rounds):
                    order = list(groups) if r % 2 == 0 else list(reversed(groups))
                    for name in order:
                        if args.profile and name == "report":
                            wifi.send_signal(signal.SIGUSR1)
                        before, at = cpu_seconds(pids[name]), time.perf_counter()
                        statuses = await slice_of(
                            client, urls[name], groups[name], per_slice, args.concurrency, name == "change"
                        )
                        seconds[name] += time.perf_counter() - at
                        cpu[name] += cpu_seconds(pids[name]) - before
                        if args.profile and name == "report":
                            wifi.send_signal(signal.SIGUSR2)
                        counts[name] += len(statuses)
                        failures += [s for s in statuses if s != 202]
                    loads.append(os.getloadavg()[0])
                stored = await stored_reports(database_url)
        finally:
            stop(wifi)
            stop(bare)
    sent = {name: sum(h.sent for h in hotspots) for name, hotspots in groups.items()}
    return {
        "hotspots_per_contender": n_hotspots,
        "requests": counts,
        "cpu_ms_per_request": {name: round(cpu[name] / counts[name] * 1000, 3) for name in groups},
        # context: the wifi figures less what the idle process spends in the same time (its status check)
        "wifi_cpu_ms_per_request_less_idle": {
            name: round((cpu[name] - idle_ms_per_s / 1000 * seconds[name]) / counts[name] * 1000, 3)
            for name in ("report", "change")
        },
        "requests_per_s": {name: round(counts[name] / seconds[name], 1) for name in groups},
        "wifi_idle_cpu_ms_per_s": round(idle_ms_per_s, 2),
        "load_1m": [round(load, 2) for load in loads],
        "failures": len(failures),
        "failure_statuses": sorted(set(failures)),
        "stored_ok": stored == {"bare": sent["bare"], "wifi": sent["report"] + sent["change"]},
        "stored": stored,
    }


async def stored_reports(database_url: str) -> dict[str, int]:
    from sqlalchemy import text

    from shared.db import Database

    db = Database(database_url)
    try:
        async with db.reading() as session:
            bare = (await session.execute(text("SELECT count(*) FROM bench_bare_reports"))).scalar_one()
            wifi = (await session.execute(text("SELECT count(*) FROM reports"))).scalar_one()
    finally:
        await db.dispose()
    return {"bare": int(bare), "wifi": int(wifi)}


async def main_async(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="hallobot-bench-reportcpu-"))
    try:
        async with fresh_database(args.database_url, work) as url:
            result = await measure(args, url, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cpu = result["cpu_ms_per_request"]
    ratio, ratio_change = cpu["bare"] / cpu["report"], cpu["bare"] / cpu["change"]
    kind = "postgresql" if args.database_url else "sqlite"
    print(f"\nCPU per request ({kind}, {args.rounds} rounds, {args.concurrency} in flight, load {result['load_1m']})")
    for name, label in (
        ("bare", "bare FastAPI + one INSERT"),
        ("report", "wifi report (no status change)"),
        ("change", "wifi report, each a status change"),
    ):
        print(f"  {label:36} {cpu[name]:7.3f} ms   {result['requests_per_s'][name]:7.1f} req/s")
    less_idle = result["wifi_cpu_ms_per_request_less_idle"]
    print(
        f"  wifi process idle: {result['wifi_idle_cpu_ms_per_s']} ms CPU per s "
        f"(less that: report {less_idle['report']} ms, change {less_idle['change']} ms)"
    )
    print(f"\nratio bare ÷ report CPU: {ratio:.3f} (goal ≥ {GOAL}); bare ÷ change: {ratio_change:.3f}")
    ok = result["failures"] == 0 and result["stored_ok"]
    if not ok:
        print(f"failed requests: {result['failures']} {result['failure_statuses']}; stored {result['stored']}")
    emit(
        {
            "bench": "report_cpu",
            "n": args.n,
            "database": kind,
            "goal": GOAL,
            "ratio": round(ratio, 3),
            "ratio_change": round(ratio_change, 3),
            "goal_met": ratio >= GOAL,
            **result,
            "ok": ok,
            "environment": environment(),
        },
        args.json_path,
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="requests per contender (default 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices per contender (default 3)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (default 4)")
    parser.add_argument("--idle-s", type=float, default=3.0, help="seconds the idle wifi process is measured")
    parser.add_argument("--quick", action="store_true", help="--n 600 (run_all.py --quick)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HALLOBOT_BENCH_DATABASE_URL"),
        help="postgresql://… (a fresh database is created and dropped); default: a temporary SQLite file",
    )
    parser.add_argument("--json", dest="json_path", help="also write the result JSON line to this file")
    parser.add_argument("--profile", metavar="PATH", help="cProfile the wifi process during the `report` slices")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-wifi", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvicorn

        uvicorn.run(bare_app(args.database_url), host="127.0.0.1", port=args.port, log_level="warning")
        return 0
    if args.serve_wifi:
        return serve_wifi_profiled(args.port, args.profile)
    if args.quick:
        args.n = 600
    if args.profile:
        args.profile = os.path.abspath(args.profile)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
