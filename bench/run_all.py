"""Run every benchmark and write bench/REPORT.md (each figure as a ratio to its baseline from the same
run) and bench/latency.png (the HTTP→SSE latency distribution).

    .venv/bin/python bench/run_all.py [--quick] [--skip relay,consumer,...] [--databases sqlite,postgresql]
                                      [--postgres-url postgresql://…]

Every benchmark that touches a database runs twice, on SQLite and on PostgreSQL (production's database):
an embedded PostgreSQL from the `pgserver` package, as the tests use, unless --postgres-url names a server
(a role that may create databases and schemas). REPORT.md shows both, side by side.

What runs, each in its own process with its own nats-server (see bench/README.md):
- relay.py, consumer.py, reports.py (each three times: the run with the median ratio, the three ratios
  beside it), registration_rush.py: their JSON line, their own ratio;
- notify.py, three times: mail throughput vs a raw aiosmtplib loop; HTTP→SSE latency at 100 changes/s
  (wifi report POST → status_changed on GET /feed, both services as processes; the POST's own round
  trip is shown beside it); SSE fan-out of one event to 5,000 open GET /feed clients (p50/p99/max
  delivery, absolute: there is no raw fan-out baseline to divide by);
- frontdoor.py: the front door's added latency (Caddy vs the service directly) and the directory search
  page at 50 requests/s through it against a bare render of the same template;
- `hallobot up` cold start (until all four /readyz answer) and the stack's memory (PSS and RSS of `up`
  and all its descendants), each against a bare stack started the same way: nats-server plus four bare
  FastAPI apps under uvicorn (the floor any Python service set pays); once more with
  HALLOBOT_UP_START=exec (each service an interpreter of its own, as before the fork server) as context;
- HTTP→SSE latency on that `hallobot up` stack, one change at a time: a hotspot report POSTed to wifi
  until its wifi.hotspot.status_changed arrives on notifications' GET /feed (every report is a change,
  WIFI_CONFIRM_REPORTS=1); baseline: the round trip of a bare GET /healthz on the same wifi process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _support import free_port, nats_server_binary  # noqa: E402

PY = sys.executable
TOKEN = "bench-run-all-operator-token-123"
SERVICES = ("directory", "events", "wifi", "notifications")

SIZES = {  # (full, quick); relay, consumer and reports at 30,000: at 10,000 one run took a third of a second
    "relay": (["--n", "30000"], ["--n", "3000"]),
    "consumer": (["--n", "30000"], ["--n", "3000"]),
    "reports": (["--n", "30000"], ["--n", "3000"]),
    "registration_rush": (["--n", "1000"], ["--n", "300"]),
    "notify_mail": (
        ["--only", "mail", "--mails", "2000", "--rounds", "3"],
        ["--only", "mail", "--mails", "300", "--rounds", "1", "--warmup", "3"],
    ),
    "notify_latency": (
        ["--only", "latency", "--rate", "100", "--seconds", "10"],
        ["--only", "latency", "--rate", "100", "--seconds", "5"],
    ),
    "notify_fanout": (
        ["--only", "fanout", "--clients", "5000", "--fanout-rounds", "5"],
        ["--only", "fanout", "--clients", "5000", "--fanout-rounds", "3"],
    ),
    "frontdoor": ([], ["--quick"]),
    "monitor": ([], []),
    "report_cpu": ([], ["--quick"]),
    "data_growth": ([], ["--quick"]),
    "tracing": (["--rounds", "60"], ["--rounds", "40"]),
    "idle_latency": (["--rounds", "60"], ["--rounds", "30"]),
}
SCRIPTS = {"notify_mail": "notify", "notify_latency": "notify", "notify_fanout": "notify"}  # others: <name>.py
# The ones whose HalloBot side keeps state in a database take `--database-url` and run on each database;
# the others measure code without one (the tracing hooks, the idle stream's pull requests).
WITHOUT_DATABASE = {"tracing", "idle_latency"}
JSON_OPTION = {"tracing": "--json", "idle_latency": "--json"}  # the others: --json too (same flag)


# Over in well under a second of measuring (10,000 messages): one run of these moved by ±0.1 between
# runs minutes apart on a quiet machine (bench/README.md), so each runs three times and the run with
# the median ratio is reported, the three ratios beside it. A failed run is reported, never outvoted.
REPEATED = {"relay": 3, "consumer": 3, "reports": 3}


def run_repeated(name: str, quick: bool, work: Path, database: str, database_url: str | None) -> dict:
    runs = [run_bench(name, quick, work, database, database_url) for _ in range(REPEATED.get(name, 1))]
    if len(runs) == 1:
        return runs[0]
    ratios = [r.get("ratio") for r in runs]
    failed = next((r for r in runs if r.get("missing") or "error" in r or r.get("exit") not in (0, None)), None)
    if failed is not None or not all(isinstance(x, int | float) for x in ratios):
        return {**(failed or runs[0]), "ratios_of_runs": ratios}
    median = sorted(runs, key=lambda r: r["ratio"])[len(runs) // 2]
    return {**median, "ratios_of_runs": ratios, "seconds": round(sum(r["seconds"] for r in runs), 1)}


def run_bench(name: str, quick: bool, work: Path, database: str, database_url: str | None) -> dict:
    script = ROOT / "bench" / f"{SCRIPTS.get(name, name)}.py"
    if not script.exists():
        return {"bench": name, "database": database, "missing": True}
    out = work / f"{name}-{database}.json"
    args = [PY, str(script), *SIZES[name][1 if quick else 0], "--json", str(out)]
    if database_url:
        args += ["--database-url", database_url]
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    (work / f"{name}-{database}.log").write_text(proc.stdout + proc.stderr)
    try:
        result = json.loads(out.read_text())
    except (OSError, ValueError):
        result = {"error": (proc.stderr or proc.stdout)[-600:]}
    print(f"{name} ({database}): {seconds:.0f} s, exit {proc.returncode}", file=sys.stderr, flush=True)
    return {"bench": name, "exit": proc.returncode, "seconds": round(seconds, 1), **result, "database": database}


# --- the whole stack: cold start, memory, HTTP→SSE latency ----------------------------------------


def memory_kib(pid: int) -> dict[str, Any]:
    """RSS and PSS of `pid` and all its descendants (Linux /proc). RSS counts a page shared by several
    processes (the services forked from `up`'s fork server share their code) once in each; PSS divides
    it among them, so their sum is what the machine gives the stack. `pss_by_role`: the PSS per kind of
    process (`role`), to tell the services' part from the helpers the bare stack has no counterpart of."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    total: dict[str, Any] = {"rss": 0, "pss": 0, "pss_by_role": defaultdict(int)}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            own_role = role(Path(f"/proc/{current}/cmdline").read_bytes())
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                key = line.split(":", 1)[0].lower()
                if key in ("rss", "pss"):
                    total[key] += int(line.split()[1])
                if key == "pss":
                    total["pss_by_role"][own_role] += int(line.split()[1])
        except OSError:
            continue
        todo.extend(children.get(current, []))
    total["pss_by_role"] = dict(total["pss_by_role"])
    return total


def role(cmdline: bytes) -> str:
    """What a process of either stack is, from its command line."""
    args = cmdline.decode(errors="replace").split("\0")
    text = " ".join(args)
    if "caddy" in Path(args[0]).name:
        return "front door (Caddy)"
    if "nats-server" in Path(args[0]).name:
        return "nats-server"
    # forked services carry the fork server's command line (it has exited once they run)
    if any(mark in text for mark in ("hallobot.fork_server", "hallobot.cli serve", "uvicorn")):
        return "services"
    if "hallobot.cli up" in text:
        return "up"
    return "other"


def wait_ready(urls: list[str], timeout: float = 120) -> float:
    started = time.perf_counter()
    pending = list(urls)
    while pending:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"not ready: {pending}")
        for url in list(pending):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    pending.remove(url)
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    return time.perf_counter() - started


BARE_APP = (
    "import sys, uvicorn; from fastapi import FastAPI; app = FastAPI(); "
    "app.get('/readyz')(lambda: {'status': 'ready'}); "
    "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')"
)


def compiled_bytecode(work: Path) -> None:
    """Both stacks start from compiled bytecode, as the image does (UV_COMPILE_BYTECODE): a cache in
    `work` that an untimed start of each fills. Without it, where PYTHONDONTWRITEBYTECODE is set (this
    machine), every start compiles every module from source, which says more about the module count
    than about start-up (measured: `up` 18.9 s against 3.8 s bare that way, 2026-11-27)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")


def bare_stack(work: Path) -> dict:
    """nats-server with JetStream + four bare FastAPI apps, started at once like `up` does."""
    started = time.perf_counter()
    nats_port = free_port()
    procs = [
        subprocess.Popen(
            [
                nats_server_binary(),
                "-js",
                "-sd",
                tempfile.mkdtemp(prefix="bare-js-", dir=work),
                "-p",
                str(nats_port),
                "-a",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    ]
    ports = [free_port() for _ in SERVICES]
    procs += [
        subprocess.Popen([PY, "-c", BARE_APP, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for port in ports
    ]
    try:
        wait_ready([f"http://127.0.0.1:{p}/readyz" for p in ports])
        cold = time.perf_counter() - started
        time.sleep(1)
        memory = [memory_kib(p.pid) for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    return {
        "cold_start_s": round(cold, 2),
        "rss_mib": round(sum(m["rss"] for m in memory) / 1024, 1),
        "pss_mib": round(sum(m["pss"] for m in memory) / 1024, 1),
    }


# in `up`, without a counterpart in the bare stack (the mail sink is a thread of `up` since session 15)
HELPERS = ("front door (Caddy)",)
STARTS = 5  # cold starts per stack: one start moved by ±0.15 s between runs minutes apart


def median_start(runs: list[dict]) -> dict:
    """The start with the median cold start, all cold starts beside it; the HTTP→SSE latency (measured
    on the first start only) from the first."""
    median = sorted(runs, key=lambda run: run["cold_start_s"])[len(runs) // 2]
    return {
        **runs[0],
        **{k: v for k, v in median.items() if k in ("cold_start_s", "rss_mib", "pss_mib", "pss_by_role_mib")},
        "cold_starts_s": [run["cold_start_s"] for run in runs],
        "pss_of_starts_mib": [run["pss_mib"] for run in runs],
    }


def hallobot_up(
    work: Path, samples: int, database: str, database_urls: dict[str, str] | None = None, start: str = "fork"
) -> dict:
    """`hallobot up` from cold until all four /readyz answer, its memory, and the HTTP→SSE latency on it;
    on SQLite (its default) or on the databases `database_urls` names per service. `start`: the services
    forked from the fork server (`up`'s default) or each an interpreter of its own (HALLOBOT_UP_START=exec)."""
    ports = {s: free_port() for s in SERVICES}
    env = {
        **os.environ,
        "HALLOBOT_DATA_DIR": tempfile.mkdtemp(prefix=f"up-{database}-{start}-", dir=work),  # new at every start
        "HALLOBOT_UP_START": start,
        "HALLOBOT_OPERATOR_TOKEN": TOKEN,
        "HALLOBOT_NATS_PORT": str(free_port()),
        "HALLOBOT_NATS_MONITOR_PORT": str(free_port()),
        "HALLOBOT_SMTP_PORT": str(free_port()),
        "HALLOBOT_WEB_PORT": str(free_port()),
        "HALLOBOT_LOG_LEVEL": "WARNING",
        "WIFI_CONFIRM_REPORTS": "1",
        **{f"HALLOBOT_{s.upper()}_PORT": str(p) for s, p in ports.items()},
        **{f"HALLOBOT_{s.upper()}_INTERNAL_PORT": str(free_port()) for s in SERVICES},
        **{f"{s.upper()}_DATABASE_URL": url for s, url in (database_urls or {}).items()},
    }
    env.pop("NATS_URL", None), env.pop("SMTP_HOST", None)
    if not database_urls:
        for service in SERVICES:
            env.pop(f"{service.upper()}_DATABASE_URL", None)
    started = time.perf_counter()
    up = subprocess.Popen(
        [PY, "-m", "hallobot.cli", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    urls = {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}
    try:
        wait_ready([f"{u}/readyz" for u in urls.values()])
        cold = time.perf_counter() - started
        time.sleep(1)
        idle = memory_kib(up.pid)
        latency = asyncio.run(http_to_sse(urls["wifi"], urls["notifications"], samples)) if samples else {}
        after = memory_kib(up.pid)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
    return {
        "database": database,
        "start": start,
        "cold_start_s": round(cold, 2),
        "rss_mib": round(idle["rss"] / 1024, 1),
        "pss_mib": round(idle["pss"] / 1024, 1),
        "pss_by_role_mib": {k: round(v / 1024, 1) for k, v in sorted(idle["pss_by_role"].items())},
        "rss_after_latency_mib": round(after["rss"] / 1024, 1),
        "pss_after_latency_mib": round(after["pss"] / 1024, 1),
        **latency,
    }


async def http_to_sse(wifi: str, notifications: str, samples: int) -> dict:
    """One report at a time: POST → its status_changed on GET /feed; and bare GET /healthz round trips."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=10) as client:
        created = (
            await client.post(
                f"{wifi}/hotspots",
                headers=auth,
                json={
                    "site_name": "Bench",
                    "host_business": "Bench",
                    "address": "Bench 1",
                    "latitude": 51.5,
                    "longitude": 6.9,
                    "ap_model": "AP",
                    "ap_serial": "bench",
                    "ap_mac": "00:11:22:33:44:55",
                    "placement": "indoor",
                },
            )
        ).json()
        arrivals: asyncio.Queue[float] = asyncio.Queue()
        ready = asyncio.Event()

        async def listen() -> None:
            async with httpx.AsyncClient(timeout=None) as feed, feed.stream("GET", f"{notifications}/feed") as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("event: ready"):
                        ready.set()
                    elif line.startswith("data:") and "status_changed" in line and created["id"] in line:
                        arrivals.put_nowait(time.perf_counter())

        listener = asyncio.create_task(listen())
        await asyncio.wait_for(ready.wait(), 20)
        host = {"Authorization": f"Bearer {created['host_token']}"}
        latencies, baseline = [], []
        for n in range(samples + 5):
            at = time.perf_counter()
            await client.post(
                f"{wifi}/hotspots/{created['id']}/reports",
                headers=host,
                json={"timestamp": datetime.now(UTC).isoformat(), "uplink_ok": n % 2 == 0, "clients": 1},
            )
            try:
                arrived = await asyncio.wait_for(arrivals.get(), 10)
            except TimeoutError:
                continue
            if n >= 5:  # warm-up: first connections, first template and JIT paths
                latencies.append((arrived - at) * 1000)
            at = time.perf_counter()
            await client.get(f"{wifi}/healthz")
            baseline.append((time.perf_counter() - at) * 1000)
        listener.cancel()
    return {"latency_ms": latencies, "baseline_ms": baseline}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


# --- report -----------------------------------------------------------------------------------------


def plot(stack: dict, at_rate: dict | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(11, 4))
    series = [
        ("HTTP report → SSE event, one at a time", stack["latency_ms"]),
        ("bare GET /healthz", stack["baseline_ms"]),
    ]
    if at_rate and at_rate.get("latency", {}).get("samples_ms"):
        series.append(
            (f"HTTP report → SSE event at {at_rate['latency']['rate_per_s']:.0f}/s", at_rate["latency"]["samples_ms"])
        )
    for label, values in series:
        if not values:
            continue
        hist.hist(values, bins=40, alpha=0.6, label=label)
        ordered = sorted(values)
        cdf.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
    hist.set_xlabel("ms"), hist.set_ylabel("count"), hist.set_title("latency distribution"), hist.legend()
    cdf.set_xscale("log"), cdf.set_xlabel("ms (log)"), cdf.set_ylabel("fraction ≤ x"), cdf.set_title("CDF")
    cdf.axhline(0.99, color="grey", linewidth=0.5), cdf.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def bench_rows(name: str, r: dict[str, Any]) -> list[str]:
    """The report's rows of one benchmark run (its database is the first cell after the name)."""
    db = r.get("database", "")
    if r.get("missing"):
        return [f"| {name} | {db} | not present | | | | |"]
    if "error" in r:
        error = r["error"][-120:].replace("|", "/").replace(chr(10), " ")
        return [f"| {name} | {db} | failed: {error} | | | | exit {r.get('exit')} |"]
    if name == "notify_mail":
        mail = r.get("mail", {})
        rounds = mail.get("rounds", [])
        svc = statistics.median([x["service_per_s"] for x in rounds]) if rounds else float("nan")
        raw_one = statistics.median([sum(x["raw_per_s"]) / 2 for x in rounds]) if rounds else float("nan")
        raw = statistics.median([x["raw_same_connections_per_s"] for x in rounds]) if rounds else float("nan")
        connections = mail.get("sender_connections")
        return [
            f"| notify: mails/s ({mail.get('mails')} mails, {connections} connections) | {db} | "
            f"{svc:.0f} | {raw:.0f} raw aiosmtplib over {connections} connections ({raw_one:.0f} over one) | "
            f"{mail.get('ratio_same_connections_median')} (vs one raw connection: {mail.get('ratio_median')}) | "
            f"≥ {mail.get('goal_ratio_same_connections', 0.8)} | exit {r['exit']} |"
        ]
    if name == "notify_latency":
        lat = r.get("latency", {})
        post = lat.get("post", {})
        return [
            f"| HTTP→SSE latency at {lat.get('rate_per_s')} changes/s, p50 / p99 (ms) | {db} | "
            f"{lat.get('p50_ms')} / {lat.get('p99_ms')} | {post.get('p50_ms')} / {post.get('p99_ms')} "
            f"the POST's own answer | {_ratio(lat.get('p99_ms'), post.get('p99_ms'))} (p99) | "
            f"p99 ≤ 3 × the POST's | {lat.get('changes')} changes, {lat.get('missing')} missing |"
        ]
    if name == "notify_fanout":
        fan = r.get("fanout", {})
        return [
            f"| SSE fan-out to {fan.get('clients')} clients, p50 / p99 / max (ms) | {db} | "
            f"{fan.get('p50_ms')} / {fan.get('p99_ms')} / {fan.get('max_ms')} | none (absolute) | | | "
            f"{len(fan.get('rounds', []))} rounds, {fan.get('missing')} missing |"
        ]
    if name == "frontdoor":
        return _frontdoor_rows(r)
    if name == "tracing":
        cpu = r.get("cpu_us_per_request", {})
        return [
            f"| tracing off: CPU per request (µs) | — | {cpu.get('off')} | {cpu.get('baseline')} without the hooks | "
            f"{r.get('off_ratio')} (SDK without exporter {r.get('sdk_no_exporter_ratio')}, with batch export "
            f"{r.get('sdk_batch_ratio')}) | no cost worth measuring | {'ok' if r.get('ok') else 'FAILED'} |"
        ]
    if name == "idle_latency":
        return [
            f"| idle stream: publication → handled, p50 / p99 / max (ms) | — | {r.get('p50_ms')} / {r.get('p99_ms')} / "
            f"{r.get('max_ms')} | none (absolute; raw fetch in JSON) | | p99 ≤ {r.get('goal_p99_ms')} ms | "
            f"{r.get('messages')} messages, {r.get('missing')} missing, {r.get('handled_twice')} twice |"
        ]
    if name == "report_cpu":
        cpu = r.get("cpu_ms_per_request", {})
        return [
            f"| wifi HTTP report: CPU per request (ms) | {db} | {cpu.get('report')} (a status change: "
            f"{cpu.get('change')}) | {cpu.get('bare')} bare FastAPI INSERT route | {r.get('ratio')} "
            f"(change: {r.get('ratio_change')}) | ≥ {r.get('goal')} (report ≤ 2 × bare) | "
            f"{'ok' if r.get('ok', r['exit'] == 0) else 'FAILED'} |"
        ]
    if name == "data_growth":
        figures = r.get("figures", {})
        return [
            f"| data growth, {figure.removesuffix('_p50').removesuffix('_p99').replace('_', ' ')} "
            f"({figure.rsplit('_', 1)[1]}, ms) | {db} | {figures.get(figure, {}).get('10x')} at 10× | "
            f"{figures.get(figure, {}).get('1x')} at 1× | {ratio} | ≤ {r.get('goal')} "
            f"| {'grows' if ratio > r.get('goal', 1.5) else 'flat'} |"
            for figure, ratio in (r.get("ratios") or {}).items()
        ]
    if name == "monitor":
        return [
            f"| monitor: rebuild of the impact projection | {db} | {r.get('rebuild_msgs_per_s')} /s | "
            f"{r.get('raw_msgs_per_s')} /s raw fetch+ack | {r.get('ratio')} (vs the services' own fetch: "
            f"{r.get('ratio_vs_puller_raw')}) | ≥ 0.5 | {'ok' if r.get('ok') else 'FAILED'} |",
            f"| monitor: dashboard render p50 / p99 (ms) | {db} | {r.get('render_p50_ms')} / {r.get('render_p99_ms')} "
            f"| none (absolute) | | p99 ≤ 300 ms | |",
        ]
    ours, base = _figures(name, r)
    ratio = r.get("ratio")
    if r.get("ratios_of_runs"):
        ratio = f"{ratio} (median of {', '.join(str(x) for x in r['ratios_of_runs'])})"
    return [
        f"| {name} | {db} | {ours} | {base} | {ratio} | {r.get('goal', '')} | "
        f"{'ok' if r.get('ok', r['exit'] == 0) else 'FAILED'} |"
    ]


def stack_rows(stack: dict, bare: dict, exec_stack: dict | None = None) -> list[str]:
    """The stack's rows; `exec_stack`: the same `up` with HALLOBOT_UP_START=exec, as context."""
    db, lat, base = stack["database"], stack["latency_ms"], stack["baseline_ms"]

    def context(key: str) -> str:
        if not exec_stack:
            return ""
        return f"each service its own interpreter: {exec_stack[key]} ({exec_stack[key] / bare[key]:.2f})"

    def starts(run: dict) -> str:
        return ", ".join(str(x) for x in run.get("cold_starts_s", []))

    roles = stack.get("pss_by_role_mib", {})
    helpers = sum(roles.get(name, 0) for name in HELPERS)
    return [
        f"| `hallobot up` cold start (s), services forked; median of {len(stack.get('cold_starts_s', []))} | "
        f"{db} | {stack['cold_start_s']} ({starts(stack)}) | "
        f"{bare['cold_start_s']} bare stack ({starts(bare)}) | "
        f"{stack['cold_start_s'] / bare['cold_start_s']:.2f} | ≤ 2 | {context('cold_start_s')} |",
        f"| stack memory, PSS by process (MiB) | {db} | "
        + ", ".join(f"{name} {mib}" for name, mib in roles.items())
        + " | | | | context |",
        f"| stack memory, PSS sum without {' and '.join(HELPERS)} (MiB): what the bare stack has a "
        f"counterpart of | {db} | {stack['pss_mib'] - helpers:.1f} | {bare['pss_mib']} bare stack | "
        f"{(stack['pss_mib'] - helpers) / bare['pss_mib']:.2f} | | context: the row below is the figure |",
        f"| stack memory, PSS sum (MiB): shared pages once | {db} | {stack['pss_mib']} "
        f"({stack['pss_after_latency_mib']} after the latency run) | "
        f"{bare['pss_mib']} bare stack | {stack['pss_mib'] / bare['pss_mib']:.2f} | ≤ 2 | {context('pss_mib')} |",
        f"| stack memory, RSS sum (MiB): shared pages in each | {db} | {stack['rss_mib']} "
        f"({stack['rss_after_latency_mib']} after the latency run) | "
        f"{bare['rss_mib']} bare stack | {stack['rss_mib'] / bare['rss_mib']:.2f} | ≤ 2 | {context('rss_mib')} |",
        f"| HTTP→SSE latency p50 (ms), one change at a time | {db} | {pct(lat, 50):.1f} | "
        f"{pct(base, 50):.1f} bare GET | "
        f"{pct(lat, 50) / pct(base, 50):.1f} | | {len(lat)} samples |",
        f"| HTTP→SSE latency p99 (ms), one change at a time | {db} | {pct(lat, 99):.1f} | "
        f"{pct(base, 99):.1f} bare GET | "
        f"{pct(lat, 99) / pct(base, 99):.1f} | | |",
    ]


def report(results: dict, path: Path) -> None:
    lines = [
        "# HalloBot benchmark report",
        "",
        f"Generated by `bench/run_all.py{' --quick' if results['quick'] else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, load "
        f"{results.get('load_before', 0):.1f} before and {os.getloadavg()[0]:.1f} at the end. Every ratio is "
        "against a baseline measured in the same run, on the same machine, on the same database; absolute "
        f"figures are context only. PostgreSQL: {results.get('postgres', 'not run')}.",
        "",
        "| measurement | database | HalloBot | baseline | ratio | goal | checks |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in results["benches"]:
        lines += bench_rows(run["bench"], run)
    execs = {stack["database"]: stack for stack in results.get("exec_stacks", [])}
    for stack in results["stacks"]:
        lines += stack_rows(stack, results["bare"], execs.get(stack["database"]))
    lines += [
        "",
        "![latency](latency.png)",
        "",
        "Baselines: relay — raw pipelined `js.publish_async` (raw sequential `js.publish` in the JSON as "
        "context); consumer and reports — raw pull `fetch`+`ack`; "
        "registration rush — a bare FastAPI endpoint doing one INSERT into the same database; front door — the "
        "same request at the service's own port, and a bare FastAPI route rendering the search page's template "
        "from memory; notify — raw aiosmtplib over as many connections (and one raw connection); monitor — raw "
        "fetch+ack of the same events; wifi HTTP report — a bare FastAPI route doing one INSERT of the same "
        "fields (CPU of the server process per request); data growth — the same operation at 1× data; "
        "tracing — the same request without the tracing hooks; "
        "cold start and memory — nats-server plus four bare FastAPI apps under uvicorn; HTTP→SSE — a bare "
        "GET /healthz round trip on the same wifi process (one change at a time; the run at 100 changes/s "
        "is the notify_latency row); SSE fan-out and the idle stream — no baseline, absolute times.",
        "",
        "Sizes: "
        + ("quick" if results["quick"] else "full")
        + " — "
        + ", ".join(f"{k} {' '.join(v[1 if results['quick'] else 0])}" for k, v in SIZES.items())
        + ". "
        "The raw JSON line of every benchmark follows.",
        "",
        "<details><summary>raw results</summary>",
        "",
        "```json",
        json.dumps(
            {
                "benches": _without_samples(results["benches"]),
                "bare": results["bare"],
                "stacks": [{k: v for k, v in stack.items() if not k.endswith("_ms")} for stack in results["stacks"]],
                "exec_stacks": results.get("exec_stacks", []),
            },
            indent=1,
            default=str,
        ),
        "```",
        "",
        "</details>",
        "",
    ]
    path.write_text("\n".join(lines))


def _frontdoor_rows(r: dict) -> list[str]:
    rows, db = [], r.get("database", "")
    for part, figures in (r.get("latency") or {}).items():
        rows.append(
            f"| front door added latency, GET {part}, p50 / p99 (ms) | {db} | {figures['front_p50_ms']} / "
            f"{figures['front_p99_ms']} | {figures['direct_p50_ms']} / {figures['direct_p99_ms']} the service "
            f"directly | +{figures['added_p50_ms']} / +{figures['added_p99_ms']} ms | ≤ +2 ms at p50 | "
            f"{figures['requests']} sequential requests |"
        )
    search = r.get("search") or {}
    if "skipped" in search:
        rows.append(f"| directory search page through the front door | {db} | {search['skipped']} | | | | |")
    elif search:
        rate, bare = search["front_door_at_50_per_s"], search["bare_at_50_per_s"]
        rows.append(
            f"| directory search page, {search['businesses']} businesses, 50 req/s through the front door, "
            f"p50 / p99 (ms) | {db} | {rate['p50_ms']} / {rate['p99_ms']} | {bare['p50_ms']} / {bare['p99_ms']} bare "
            f"render from memory | {search['front_door_max']['per_s']} / {search['bare_max']['per_s']} req/s = "
            f"{search['ratio']} | p99 ≤ 50 ms, ratio ≥ 0.5 | {rate['not_200']} not 200 |"
        )
    return rows


def _without_samples(benches: list[dict]) -> list[dict]:
    """The per-sample lists (1,000 latencies) are in the plot, not in the report's JSON."""
    out = []
    for r in benches:
        latency = r.get("latency")
        if isinstance(latency, dict):
            r = {**r, "latency": {k: v for k, v in latency.items() if k not in ("samples_ms", "post_ms")}}
        out.append(r)
    return out


def _ratio(ours, base) -> str:
    return f"{ours / base:.1f}" if ours and base else ""


def _figures(name: str, r: dict) -> tuple[str, str]:
    keys = {
        "relay": ("relay_msgs_per_s", "raw_pipelined_msgs_per_s"),
        "consumer": ("consumer_msgs_per_s", "raw_msgs_per_s"),
        "reports": ("reports_per_s", "raw_msgs_per_s"),
        "registration_rush": ("registrations_per_s", "bare_per_s"),
    }
    ours_key, base_key = keys.get(name, ("", ""))
    ours = next((r[k] for k in (ours_key, "hallobot_per_s", "service_per_s") if k in r), "see JSON")
    base = next((r[k] for k in (base_key, "baseline_per_s", "raw_per_s") if k in r), "see JSON")
    return f"{ours} /s", f"{base} /s ({base_key.removesuffix('_per_s').replace('_', ' ')})"


def postgres_server(args: argparse.Namespace, stack: contextlib.ExitStack) -> str:
    """The PostgreSQL server the benchmarks create their databases and schemas on."""
    if args.postgres_url:
        return args.postgres_url
    from frontdoor_data import embedded_postgres

    url: str = stack.enter_context(embedded_postgres())
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out (`stack`: cold start…)")
    parser.add_argument("--only", default="", help="comma-separated benchmarks to run, nothing else")
    parser.add_argument("--databases", default="sqlite,postgresql", help="which databases (default both)")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use instead of an embedded one (pgserver)")
    parser.add_argument("--samples", type=int, default=300, help="HTTP→SSE latency samples")
    parser.add_argument("--starts", type=int, default=STARTS, help="cold starts per stack (the median is reported)")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    wanted = [n for n in [*SIZES, "stack"] if n not in skip and (not only or n in only)]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    work = Path(tempfile.mkdtemp(prefix="hallobot-run-all-"))
    results: dict = {
        "quick": args.quick,
        "benches": [],
        "stacks": [],
        "exec_stacks": [],
        "bare": None,
        "load_before": os.getloadavg()[0],
    }
    with contextlib.ExitStack() as stack:
        server = postgres_server(args, stack) if "postgresql" in databases else None
        if server:
            results["postgres"] = "the server at --postgres-url" if args.postgres_url else "embedded (pgserver)"
        for name in (n for n in wanted if n != "stack"):
            for database in ["—"] if name in WITHOUT_DATABASE else databases:
                results["benches"].append(
                    run_repeated(name, args.quick, work, database, server if database == "postgresql" else None)
                )
        if "stack" in wanted:
            compiled_bytecode(work)
            # untimed: fills the bytecode cache of both
            bare_stack(work), hallobot_up(work, 0, "warm-up"), hallobot_up(work, 0, "warm-up", start="exec")
            starts: dict[str, list[dict]] = defaultdict(list)
            for n in range(args.starts):  # taking turns, so that a change of the machine's load hits all alike
                starts["bare"].append(bare_stack(work))
                for database in databases:
                    for start in ("fork", "exec"):
                        with contextlib.ExitStack() as databases_of_start:
                            urls = None
                            if database == "postgresql":  # a cold start migrates new databases from nothing
                                from frontdoor_data import directory_database

                                urls = {
                                    s: databases_of_start.enter_context(directory_database(server, work))
                                    for s in SERVICES
                                }
                            samples = args.samples if n == 0 and start == "fork" else 0
                            starts[f"{database} {start}"].append(hallobot_up(work, samples, database, urls, start))
            results["bare"] = median_start(starts["bare"])
            results["stacks"] = [median_start(starts[f"{database} fork"]) for database in databases]
            results["exec_stacks"] = [median_start(starts[f"{database} exec"]) for database in databases]
            latency_run = next((r for r in results["benches"] if r["bench"] == "notify_latency"), None)
            plot(results["stacks"][0], latency_run, ROOT / "bench" / "latency.png")
    report(results, ROOT / "bench" / "REPORT.md")
    print((ROOT / "bench" / "REPORT.md").read_text())
    failed = [r["bench"] for r in results["benches"] if not r.get("missing") and r.get("exit") not in (0, None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
