"""Shared plumbing for the benchmarks: a private nats-server, a private database, reporting.

Nothing here is imported by the services; the benchmarks only read shared/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/relay.py` from the repo root
    sys.path.insert(0, str(ROOT))


from hallobot.ports import free_port  # noqa: E402  (after the sys.path line above)
from hallobot.up import nats_server_binary  # noqa: E402


@dataclass
class NatsServer:
    url: str
    process: subprocess.Popen
    store_dir: str


@contextlib.contextmanager
def nats_server() -> Iterator[NatsServer]:
    """Start `nats-server -js` on a free port with a temporary store; always stop it."""
    store_dir = tempfile.mkdtemp(prefix="hallobot-bench-js-")
    port = free_port()
    log_path = Path(store_dir) / "nats-server.log"
    log_file = open(log_path, "wb")
    process = subprocess.Popen(
        [nats_server_binary(), "-js", "-sd", store_dir, "-p", str(port), "-a", "127.0.0.1"],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {log_path.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("nats-server did not start within 10 s")
            time.sleep(0.05)
        yield NatsServer(f"nats://127.0.0.1:{port}", process, store_dir)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log_file.close()
        shutil.rmtree(store_dir, ignore_errors=True)


@dataclass
class BenchDatabase:
    url: str  # what to hand to shared.db.Database
    schema: str | None  # PostgreSQL: the private schema all bench tables live in
    kind: str  # "sqlite" or "postgresql"


@contextlib.asynccontextmanager
async def bench_database(database_url: str | None) -> AsyncIterator[BenchDatabase]:
    """A temp SQLite file (default), or a private schema on the given PostgreSQL, dropped after."""
    if not database_url:
        directory = tempfile.mkdtemp(prefix="hallobot-bench-db-")
        try:
            yield BenchDatabase(f"sqlite:///{directory}/bench.sqlite3", None, "sqlite")
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    from sqlalchemy import text

    from shared.db import Database

    if not database_url.startswith(("postgresql", "postgres")):
        # Any other SQLite file the caller names: used as is (tables are dropped afterwards by the bench).
        yield BenchDatabase(database_url, None, "sqlite")
        return
    schema = f"hallobot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = Database(database_url)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield BenchDatabase(database_url, schema, "postgresql")
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def fresh_database(url: str | None, work: Path, name: str = "bench") -> AsyncIterator[str]:
    """A new SQLite file `name` in `work`, or a new database on the PostgreSQL server at `url` (a role that
    may create databases), dropped afterwards: for benchmarks that run a service's own migrations."""
    if not url:
        yield f"sqlite:///{work / f'{name}.sqlite3'}"
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"hallobot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    connect = {
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
        "host": parsed.query.get("host") or parsed.host,
        "port": parsed.port,
    }
    connect = {k: v for k, v in connect.items() if v}
    conn = await asyncpg.connect(**connect)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield parsed.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(**connect)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def hotspot_body(i: int) -> dict:
    """The operator's POST /hotspots body of the i-th benchmark hotspot (a distinct MAC for each)."""
    return {
        "site_name": f"Bench {i}",
        "host_business": "Bench",
        "address": "Bottrop",
        "latitude": 51.52,
        "longitude": 6.92,
        "ap_model": "AP",
        "ap_serial": f"S{i}",
        "ap_mac": f"00:11:22:{i // 65536 % 256:02x}:{i // 256 % 256:02x}:{i % 256:02x}",
        "placement": "indoor",
        "report_interval_s": 60,
    }


def common_arguments(parser: argparse.ArgumentParser, default_n: int) -> None:
    parser.add_argument("--n", type=int, default=default_n, help=f"messages per measurement (default {default_n})")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HALLOBOT_BENCH_DATABASE_URL"),
        help="postgresql://… to run on PostgreSQL (a private schema is created and dropped); "
        "default: a temporary SQLite file",
    )
    parser.add_argument("--json", dest="json_path", help="also write the result JSON line to this file")
    parser.add_argument("--profile", metavar="PATH", help="cProfile the HalloBot part into PATH (.pstats)")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    header = ("measurement", "msgs", "seconds", "msgs/s")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    print(f"\n{title}")
    line = "  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(header))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }


def emit(result: dict, json_path: str | None) -> None:
    line = json.dumps(result, sort_keys=False)
    print(line)
    if json_path:
        Path(json_path).write_text(line + "\n")


async def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(interval)
    return await predicate()


def group_has_acked(consumer: str, n: int):
    """A `wait_until` predicate: the ConsumerGroup has acked `n` messages of `consumer`. It acks a batch
    only after its transaction committed, so its "ok" counter says when all effects are in without a
    count query every 20 ms competing with the group for the loop; benches count rows once at the end.
    The counter's own child is read: `REGISTRY.get_sample_value` collects every metric of the process
    (the process collector reads /proc), which took 8 % of the group's profiled time at one look per 20 ms."""
    from shared.metrics import CONSUMED

    acked_count = CONSUMED.labels(consumer, "ok")

    async def acked() -> bool:
        return acked_count._value.get() >= n

    return acked


async def raw_pull_consume(js, *, stream: str, subject: str, n: int, batch: int, config) -> tuple[float, int]:
    """The raw baseline: a durable pull consumer, fetch(batch) and ack each, until n arrived."""
    pull = await js.pull_subscribe(subject, durable=config.durable_name, stream=stream, config=config)
    received = 0
    started = time.perf_counter()
    while received < n:
        msgs = await pull.fetch(batch, timeout=5)
        for msg in msgs:
            await msg.ack()
        received += len(msgs)
    elapsed = time.perf_counter() - started
    await pull.unsubscribe()
    return elapsed, received


async def raw_puller_consume(js, *, stream: str, subject: str, n: int, batch: int, config) -> tuple[float, int]:
    """As `raw_pull_consume`, fetching through the services' own `Puller` (shared/consumer/puller.py)
    instead of nats-py's fetch: the same fetch the services use, with no handling, a stricter baseline."""
    from shared.consumer.puller import Puller

    pull = await js.pull_subscribe(subject, durable=config.durable_name, stream=stream, config=config)
    puller = await Puller.bind(pull)
    received = 0
    started = time.perf_counter()
    while received < n:
        msgs = await puller.fetch(batch, 5)
        for msg in msgs:
            await msg.ack()
        received += len(msgs)
    elapsed = time.perf_counter() - started
    await puller.close()
    return elapsed, received


def run_main(run, doc: str, default_n: int) -> int:
    """The command line every throughput bench shares: parse, run, print and write the JSON line."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(parser, default_n=default_n)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    emit(result, args.json_path)
    return 0 if result["ok"] else 1


def stop(process: subprocess.Popen) -> None:
    """Terminate a child the bench started (kill after 20 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A server process of the bench, from the repository's root, its output appended to `log`."""
    return subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


async def wait_ready(client, url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Until `url`/readyz answers 200 (httpx `client`); exits with the log's tail if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(Exception):
            if (await client.get(f"{url}/readyz", timeout=1)).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise SystemExit(f"{url} not ready:\n{log.read_text()[-3000:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (every thread), from /proc; NaN once it is gone."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (14, 15 of stat)
    return float("nan")
