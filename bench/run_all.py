"""Run every benchmark and write bench/REPORT.md (each figure as a ratio to its baseline from the same
run) and bench/latency.png (the HTTP→SSE latency distribution).

    .venv/bin/python bench/run_all.py [--quick] [--skip relay,consumer,...]
    .venv/bin/python bench/run_all.py --only startup   # cold start and memory only, one JSON line

What runs, each in its own process with its own nats-server (see bench/README.md):
- relay.py, consumer.py, reports.py, registration_rush.py: their JSON line, their own ratio;
- notify.py, three times: mail throughput vs a raw aiosmtplib loop; HTTP→SSE latency at 100 changes/s
  (wifi report POST → status_changed on GET /feed, both services as processes; the POST's own round
  trip is shown beside it); SSE fan-out of one event to 5,000 open GET /feed clients (p50/p99/max
  delivery, absolute: there is no raw fan-out baseline to divide by);
- frontdoor.py: the front door's added latency (Caddy vs the service directly) and the directory search
  page at 50 requests/s through it against a bare render of the same template;
- `hallobot up` cold start (until all four /readyz answer) and the stack's memory (RSS of `up` and all
  its children), each against a bare stack started the same way: nats-server plus four bare FastAPI
  apps under uvicorn (the floor any Python service set pays);
- HTTP→SSE latency on that `hallobot up` stack, one change at a time: a hotspot report POSTed to wifi
  until its wifi.hotspot.status_changed arrives on notifications' GET /feed (every report is a change,
  WIFI_CONFIRM_REPORTS=1); baseline: the round trip of a bare GET /healthz on the same wifi process.
"""

from __future__ import annotations

import argparse
import asyncio
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

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _support import free_port, nats_server_binary  # noqa: E402

PY = sys.executable
TOKEN = "bench-run-all-operator-token-123"
SERVICES = ("directory", "events", "wifi", "notifications")

SIZES = {  # (full, quick)
    "relay": (["--n", "10000"], ["--n", "3000"]),
    "consumer": (["--n", "10000"], ["--n", "3000"]),
    "reports": (["--n", "10000"], ["--n", "3000"]),
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
}
SCRIPTS = {"notify_mail": "notify", "notify_latency": "notify", "notify_fanout": "notify"}  # others: <name>.py


def run_bench(name: str, quick: bool, work: Path) -> dict:
    script = ROOT / "bench" / f"{SCRIPTS.get(name, name)}.py"
    if not script.exists():
        return {"bench": name, "missing": True}
    out = work / f"{name}.json"
    args = [PY, str(script), *SIZES[name][1 if quick else 0], "--json", str(out)]
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    (work / f"{name}.log").write_text(proc.stdout + proc.stderr)
    try:
        result = json.loads(out.read_text())
    except (OSError, ValueError):
        result = {"error": (proc.stderr or proc.stdout)[-600:]}
    print(f"{name}: {seconds:.0f} s, exit {proc.returncode}", file=sys.stderr, flush=True)
    return {"bench": name, "exit": proc.returncode, "seconds": round(seconds, 1), **result}


# --- the whole stack: cold start, memory, HTTP→SSE latency ----------------------------------------


def rss_kib(pid: int) -> int:
    """RSS of `pid` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


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


def bare_stack(work: Path) -> dict:
    """nats-server with JetStream + four bare FastAPI apps, started at once like `up` does."""
    started = time.perf_counter()
    nats_port = free_port()
    procs = [
        subprocess.Popen(
            [nats_server_binary(), "-js", "-sd", str(work / "bare-js"), "-p", str(nats_port), "-a", "127.0.0.1"],
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
        rss = sum(rss_kib(p.pid) for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    return {"cold_start_s": round(cold, 2), "rss_mib": round(rss / 1024, 1)}


def hallobot_up(work: Path, samples: int) -> dict:
    ports = {s: free_port() for s in SERVICES}
    env = {
        **os.environ,
        "HALLOBOT_DATA_DIR": str(work / "up"),
        "HALLOBOT_OPERATOR_TOKEN": TOKEN,
        "HALLOBOT_NATS_PORT": str(free_port()),
        "HALLOBOT_NATS_MONITOR_PORT": str(free_port()),
        "HALLOBOT_SMTP_PORT": str(free_port()),
        "HALLOBOT_WEB_PORT": str(free_port()),
        "HALLOBOT_LOG_LEVEL": "WARNING",
        "WIFI_CONFIRM_REPORTS": "1",
        **{f"HALLOBOT_{s.upper()}_PORT": str(p) for s, p in ports.items()},
        **{f"HALLOBOT_{s.upper()}_INTERNAL_PORT": str(free_port()) for s in SERVICES},
    }
    env.pop("NATS_URL", None), env.pop("SMTP_HOST", None)
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
        rss_idle = rss_kib(up.pid)
        latency = asyncio.run(http_to_sse(urls["wifi"], urls["notifications"], samples))
        rss_after = rss_kib(up.pid)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
    return {
        "cold_start_s": round(cold, 2),
        "rss_mib": round(rss_idle / 1024, 1),
        "rss_after_latency_mib": round(rss_after / 1024, 1),
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


def report(results: dict, path: Path) -> None:
    lines = [
        "# HalloBot benchmark report",
        "",
        f"Generated by `bench/run_all.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f} at the end. Every ratio is against a baseline measured in the same run, "
        "on the same machine; absolute figures are context only.",
        "",
        "| measurement | HalloBot | baseline | ratio | goal | checks |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results["benches"].items():
        if r.get("missing"):
            lines.append(f"| {name} | not present | | | | |")
            continue
        if "error" in r:
            lines.append(
                f"| {name} | failed: {r['error'][-120:].replace('|', '/').replace(chr(10), ' ')} "
                f"| | | | exit {r.get('exit')} |"
            )
            continue
        if name == "notify_mail":
            mail = r.get("mail", {})
            rounds = mail.get("rounds", [])
            svc = statistics.median([x["service_per_s"] for x in rounds]) if rounds else float("nan")
            raw = statistics.median([sum(x["raw_per_s"]) / 2 for x in rounds]) if rounds else float("nan")
            lines.append(
                f"| notify: mails/s ({mail.get('mails')} mails, {mail.get('sender_connections')} connections) | "
                f"{svc:.0f} | {raw:.0f} raw aiosmtplib loop | {mail.get('ratio_median')} "
                f"(vs raw over as many connections: {mail.get('ratio_same_connections_median')}) | "
                f"≥ {mail.get('goal_ratio')} | exit {r['exit']} |"
            )
            continue
        if name == "notify_latency":
            lat = r.get("latency", {})
            post = lat.get("post", {})
            lines.append(
                f"| HTTP→SSE latency at {lat.get('rate_per_s')} changes/s, p50 / p99 (ms) | "
                f"{lat.get('p50_ms')} / {lat.get('p99_ms')} | {post.get('p50_ms')} / {post.get('p99_ms')} "
                f"the POST's own answer | {_ratio(lat.get('p99_ms'), post.get('p99_ms'))} (p99) | "
                f"p99 ≤ {lat.get('goal_p99_ms')} ms | {lat.get('changes')} changes, {lat.get('missing')} missing |"
            )
            continue
        if name == "notify_fanout":
            fan = r.get("fanout", {})
            lines.append(
                f"| SSE fan-out to {fan.get('clients')} clients, p50 / p99 / max (ms) | "
                f"{fan.get('p50_ms')} / {fan.get('p99_ms')} / {fan.get('max_ms')} | none (absolute) | | | "
                f"{len(fan.get('rounds', []))} rounds, {fan.get('missing')} missing |"
            )
            continue
        if name == "frontdoor":
            lines += _frontdoor_rows(r)
            continue
        ours, base = _figures(name, r)
        lines.append(
            f"| {name} | {ours} | {base} | {r.get('ratio')} | {r.get('goal', '')} | "
            f"{'ok' if r.get('ok', r['exit'] == 0) else 'FAILED'} |"
        )
    stack, bare = results["stack"], results["bare"]
    if stack:
        lat, base = stack["latency_ms"], stack["baseline_ms"]
        lines += [
            f"| `hallobot up` cold start (s) | {stack['cold_start_s']} | {bare['cold_start_s']} bare stack | "
            f"{stack['cold_start_s'] / bare['cold_start_s']:.2f} | | |",
            f"| stack memory, RSS sum (MiB) | {stack['rss_mib']} "
            f"({stack['rss_after_latency_mib']} after the latency run) | "
            f"{bare['rss_mib']} bare stack | {stack['rss_mib'] / bare['rss_mib']:.2f} | | |",
            f"| HTTP→SSE latency p50 (ms) | {pct(lat, 50):.1f} | {pct(base, 50):.1f} bare GET | "
            f"{pct(lat, 50) / pct(base, 50):.1f} | | {len(lat)} samples |",
            f"| HTTP→SSE latency p99 (ms) | {pct(lat, 99):.1f} | {pct(base, 99):.1f} bare GET | "
            f"{pct(lat, 99) / pct(base, 99):.1f} | ≤ 20 ms | |",
        ]
    lines += [
        "",
        "![latency](latency.png)",
        "",
        "Baselines: relay — raw pipelined `js.publish_async`; consumer and reports — raw pull `fetch`+`ack`; "
        "registration rush — a bare FastAPI endpoint doing one INSERT; front door — the same request at the "
        "service's own port, and a bare FastAPI route rendering the search page's template from memory; "
        "notify — one raw aiosmtplib connection; "
        "cold start and memory — nats-server plus four bare FastAPI apps under uvicorn; HTTP→SSE — a bare "
        "GET /healthz round trip on the same wifi process (one change at a time; the run at 100 changes/s "
        "is the notify_latency row); SSE fan-out — no baseline, absolute delivery times.",
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
                "stack": {k: v for k, v in (results["stack"] or {}).items() if not k.endswith("_ms")},
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
    rows = []
    for part, figures in (r.get("latency") or {}).items():
        rows.append(
            f"| front door added latency, GET {part}, p50 / p99 (ms) | {figures['front_p50_ms']} / "
            f"{figures['front_p99_ms']} | {figures['direct_p50_ms']} / {figures['direct_p99_ms']} the service "
            f"directly | +{figures['added_p50_ms']} / +{figures['added_p99_ms']} ms | ≤ +2 ms at p50 | "
            f"{figures['requests']} sequential requests |"
        )
    search = r.get("search") or {}
    if "skipped" in search:
        rows.append(f"| directory search page through the front door | {search['skipped']} | | | | |")
    elif search:
        rate, bare = search["front_door_at_50_per_s"], search["bare_at_50_per_s"]
        rows.append(
            f"| directory search page, {search['businesses']} businesses, 50 req/s through the front door, "
            f"p50 / p99 (ms) | {rate['p50_ms']} / {rate['p99_ms']} | {bare['p50_ms']} / {bare['p99_ms']} bare "
            f"render from memory | {search['front_door_max']['per_s']} / {search['bare_max']['per_s']} req/s = "
            f"{search['ratio']} | p99 ≤ 50 ms, ratio ≥ 0.5 | {rate['not_200']} not 200 |"
        )
    return rows


def _without_samples(benches: dict) -> dict:
    """The per-sample lists (1,000 latencies) are in the plot, not in the report's JSON."""
    out = {}
    for name, r in benches.items():
        latency = r.get("latency")
        if isinstance(latency, dict):
            r = {**r, "latency": {k: v for k, v in latency.items() if k not in ("samples_ms", "post_ms")}}
        out[name] = r
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes in all)")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    parser.add_argument("--samples", type=int, default=300, help="HTTP→SSE latency samples")
    parser.add_argument(
        "--only",
        choices=["startup"],
        help="startup: only the cold start and memory of `hallobot up` and the bare stack, one JSON line "
        "(bench/REPORT.md is left as it is)",
    )
    args = parser.parse_args()
    if args.only == "startup":
        work = Path(tempfile.mkdtemp(prefix="hallobot-run-all-"))
        bare, stack = bare_stack(work), hallobot_up(work, 0)
        figures = {k: v for k, v in stack.items() if not k.endswith("_ms")}
        print(
            json.dumps(
                {
                    "bare": bare,
                    "stack": figures,
                    "cold_start_ratio": round(stack["cold_start_s"] / bare["cold_start_s"], 2),
                    "memory_ratio": round(stack["rss_mib"] / bare["rss_mib"], 2),
                    "load": round(os.getloadavg()[0], 1),
                }
            )
        )
        return 0
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    work = Path(tempfile.mkdtemp(prefix="hallobot-run-all-"))
    results = {"quick": args.quick, "benches": {}, "stack": None, "bare": None}
    for name in SIZES:
        if name not in skip:
            results["benches"][name] = run_bench(name, args.quick, work)
    if "stack" not in skip:
        results["bare"] = bare_stack(work)
        results["stack"] = hallobot_up(work, args.samples)
        plot(results["stack"], results["benches"].get("notify_latency"), ROOT / "bench" / "latency.png")
    report(results, ROOT / "bench" / "REPORT.md")
    print((ROOT / "bench" / "REPORT.md").read_text())
    failed = [n for n, r in results["benches"].items() if not r.get("missing") and r.get("exit") not in (0, None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
