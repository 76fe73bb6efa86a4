"""Benchmark: notifications latency (HTTP state change → SSE client) and mail throughput.

    .venv/bin/python bench/notify.py [--rate 100] [--seconds 10] [--mails 2000] [--rounds 3]
                                     [--clients 5000] [--fanout-rounds 5]
                                     [--only latency|mail|fanout] [--connections N] [--json out.json]

Latency: the wifi and notifications services run as real processes (`hallobot serve`) on a private
nats-server. `--hotspots` (12) hotspots report over HTTP at `--rate` reports/s in total, alternating uplink ok/
failing with WIFI_CONFIRM_REPORTS=1, so every report is a status change. Latency is measured from
just before the report's HTTP POST to the moment the matching wifi.hotspot.status_changed arrives
on one open `GET /feed` stream (outbox → relay → WIFI stream → the feed's broadcaster → SSE). Goal: p99 ≤ 20 ms.
Every sample goes into the JSON (`latency.samples_ms`, in send order) with its POST's own round trip
(`latency.post_ms`, same order), so a plot can show the distribution; `latency.post` and
`latency.after_answer` (HTTP answer → SSE event) show whether the wifi POST dominates.

Fan-out: `--clients` bare sockets (asyncio protocols, no client library) hold `GET /feed` open on the
notifications process; then `--fanout-rounds` times one wifi.hotspot.status_changed is published to
JetStream and each client's delay is the time from just before the publish to the moment the event's
id arrives on its socket (after two untimed warm-up rounds). Reported: p50/p99/max over all clients
and rounds, and per round the time until the last client had it. Connecting is bounded
(`--connect-timeout`), each round by 15 s; a client that misses a round counts as missing, not as
a slow sample.

Mail: both sides send to the same SMTP sink process (`python -m hallobot.mailsink`, which fsyncs
each mail). After `--warmup` seconds of raw sending (the raw loop gets faster over its first few
thousand mails), the baseline: one raw aiosmtplib connection sending `--mails` ready messages one after
another — the very messages the service sends (the registration template rendered and composed with
the service's own code, untimed), so sizes and MIME structure match. Service: `--mails` registrant
notices are published to PRIVATE; the clock runs from the first publish to the last mail at the
sink, so it includes consuming, the inbox, rendering the Jinja2 templates, the deliveries table and
marking the mails sent. Each of `--rounds` rounds times raw, service, raw; the round's ratio is
service ÷ the mean of its two raw runs (the machine is shared: the load changes). Arrival is read from
the sink's log line per kept mail (`SinkLog`), so the bench process does not eat the CPU the service needs.
The service sends over NOTIFICATIONS_SENDER_CONNECTIONS (default 8) connections. The baseline of
issue #19 is the raw messages spread over as many concurrent raw aiosmtplib connections as the
service uses (`raw_same_connections_per_s`, `ratio_same_connections`, goal ≥ 0.8:
`goal_ratio_same_connections`); the older one-connection raw loop stays as context (`ratio`, goal
≥ 0.7). `--connections 1` runs the service like-for-like with the raw loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench._support import cpu_seconds, free_port, hotspot_body, nats_server

TOKEN = "bench-operator-token-0123456789"


def default_sender_connections() -> int:
    from services.notifications.config import NotificationsSettings

    return NotificationsSettings.model_fields["sender_connections"].default


AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Service:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"{name}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hallobot.cli", "serve", name, "--port", str(self.port)],
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 180  # a loaded 2-core machine has taken over 60 s to start one
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"{self.name} did not become ready; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(15)
        if self.process.poll() is None:
            self.process.kill()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def sse_listener(url: str, sent: dict[str, deque], ready: asyncio.Event) -> None:
    """Stamps each status_changed's arrival on the oldest open sample of its hotspot."""
    async with httpx.AsyncClient(timeout=None) as client, client.stream("GET", f"{url}/feed") as response:
        async for line in response.aiter_lines():
            if line.startswith("event: ready"):
                ready.set()
            if not line.startswith('data: {"specversion'):
                continue
            now = time.perf_counter()
            event = json.loads(line[6:])
            if event["type"].endswith("wifi.hotspot.status_changed"):
                queue = sent[event["data"]["hotspot_id"]]
                if queue:
                    queue.popleft()["arrived"] = now


async def latency(wifi: Service, notifications: Service, rate: float, seconds: float, n_hotspots: int) -> dict:
    """`rate` reports/s spread over `n_hotspots` hotspots; each hotspot's reports stay in order (the
    next one waits for the previous answer), the hotspots do not wait for each other."""
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=n_hotspots)) as client:
        hotspots = []
        for i in range(n_hotspots):
            response = await client.post(f"{wifi.url}/hotspots", json=hotspot_body(i), headers=AUTH)
            response.raise_for_status()
            hotspots.append((response.json()["id"], response.json()["host_token"]))
        sent: dict[str, deque] = defaultdict(deque)
        samples: list[dict] = []
        ready = asyncio.Event()
        listener = asyncio.create_task(sse_listener(notifications.url, sent, ready))
        await asyncio.wait_for(ready.wait(), 10)
        last_status: dict[str, str | None] = {h: None for h, _ in hotspots}
        previous: dict[str, asyncio.Task | None] = {h: None for h, _ in hotspots}
        total, interval = int(rate * seconds), 1.0 / rate
        load = os.getloadavg()[0]

        async def report(n: int, before: asyncio.Task | None) -> None:
            hotspot, token = hotspots[n % n_hotspots]
            if before is not None:
                await before
            ok = (n // n_hotspots) % 2 == 0
            sample = {"n": n, "at": time.perf_counter()}
            sent[hotspot].append(sample)  # appended before the POST: the event cannot overtake it
            response = await client.post(
                f"{wifi.url}/hotspots/{hotspot}/reports",
                headers={"Authorization": f"Bearer {token}"},
                json={"timestamp": datetime.now(UTC).isoformat(), "uplink_ok": ok, "clients": 3},
            )
            sample["answered"] = time.perf_counter()
            status = response.json().get("status")
            if status == last_status[hotspot]:  # not a change after all: no event will come
                with contextlib.suppress(ValueError):
                    sent[hotspot].remove(sample)
            else:
                samples.append(sample)
            last_status[hotspot] = status

        cpu = {s.name: cpu_seconds(s.process.pid) for s in (wifi, notifications)}
        started = time.perf_counter()
        tasks = []
        for n in range(total):
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            hotspot = hotspots[n % n_hotspots][0]
            task = previous[hotspot] = asyncio.create_task(report(n, previous[hotspot]))
            tasks.append(task)
        await asyncio.gather(*tasks)
        achieved = total / (time.perf_counter() - started)
        deadline = time.monotonic() + 10
        while any(sent.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        listener.cancel()
        cpu = {
            name: round((cpu_seconds(s.process.pid) - cpu[name]) / total * 1000, 2)
            for name, s in (("wifi", wifi), ("notifications", notifications))
        }
    samples.sort(key=lambda x: x["n"])
    done = [x for x in samples if "arrived" in x]
    total_ms = [(x["arrived"] - x["at"]) * 1000 for x in done]
    post_ms = [(x["answered"] - x["at"]) * 1000 for x in done]
    after_ms = [(x["arrived"] - x["answered"]) * 1000 for x in done]  # < 0: the event beat the HTTP answer

    def summary(values: list[float]) -> dict:
        return {
            "p50_ms": round(percentile(values, 50), 2),
            "p99_ms": round(percentile(values, 99), 2),
            "max_ms": round(max(values), 2),
        }

    return {
        "changes": len(done),
        "missing": len(samples) - len(done),
        "rate_per_s": round(achieved, 1),
        "hotspots": n_hotspots,
        "load_1m_at_start": round(load, 2),
        "cpu_ms_per_report": cpu,
        **summary(total_ms),
        "goal_p99_ms": 20,
        "post": summary(post_ms),
        "after_answer": summary(after_ms),
        # per sample, in send order: report POSTed → event on the SSE stream, and the POST's round trip
        "samples_ms": [round(x, 3) for x in total_ms],
        "post_ms": [round(x, 3) for x in post_ms],
    }


# --- SSE fan-out ------------------------------------------------------------------------------------


class FanoutClient(asyncio.Protocol):
    """One bare `GET /feed` socket: notes when `marker` (the current round's event id) arrives."""

    marker = b""  # set for all clients at once, per round

    def __init__(self, request: bytes) -> None:
        self.request, self.tail, self.arrived = request, b"", {}
        self.ready = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        chunk = self.tail + data
        self.tail = chunk[-64:]  # a marker split across two reads is still found
        if not self.ready.done():
            if b"event: ready" in chunk:
                self.ready.set_result(None)
            return
        marker = FanoutClient.marker
        if marker and marker not in self.arrived and marker in chunk:
            self.arrived[marker] = now

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(exc or "closed"))


async def fanout(notifications: Service, nats_url: str, clients: int, rounds: int, connect_timeout: float) -> dict:
    import nats

    from shared.catalog import HotspotStatusChanged
    from shared.envelope import utcnow

    loop = asyncio.get_running_loop()
    request = (
        f"GET /feed HTTP/1.1\r\nHost: 127.0.0.1:{notifications.port}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    opened: list[FanoutClient] = []
    started = time.perf_counter()
    batch = 250  # below uvicorn's listen backlog (2048)
    try:
        for first in range(0, clients, batch):
            if time.perf_counter() - started > connect_timeout:
                break
            connections = await asyncio.gather(
                *(
                    loop.create_connection(lambda: FanoutClient(request), "127.0.0.1", notifications.port)
                    for _ in range(min(batch, clients - first))
                ),
                return_exceptions=True,
            )
            group = [
                protocol for result in connections if not isinstance(result, BaseException) for protocol in (result[1],)
            ]
            opened += group
            remaining = max(1.0, connect_timeout - (time.perf_counter() - started))
            await asyncio.wait([c.ready for c in group], timeout=remaining)
        live = [c for c in opened if c.ready.done() and not c.ready.exception()]
        connect_s = time.perf_counter() - started
        print(f"fan-out: {len(live)} of {clients} clients connected in {connect_s:.1f} s", file=sys.stderr, flush=True)
        await asyncio.sleep(1.0)  # let the server settle after the connection storm
        gc.collect()
        gc.freeze()  # this process's own collector must not pause the clients' clocks mid-round

        nc = await nats.connect(nats_url)
        js = nc.jetstream()
        delays: list[float] = []
        per_round = []
        # Two untimed rounds first: right after the connection storm the service pays one-off costs
        # (seen: one ~1.5 s stall with 5,000 clients, none with 300 — likely a full garbage collection
        # over the new connections' objects); they are printed, not counted.
        for r in range(-2, rounds):
            load = os.getloadavg()[0]
            event = HotspotStatusChanged(
                hotspot_id="bench-fanout",
                previous="up" if r % 2 else "down",
                status="down" if r % 2 else "up",
                since=utcnow(),
            ).to_event()
            marker = event.id.encode()
            FanoutClient.marker = marker
            at = time.perf_counter()
            await js.publish(
                "hallobot.wifi.hotspot.status_changed.bench-fanout", event.to_json(), headers=event.headers()
            )
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and sum(1 for c in live if marker in c.arrived) < len(live):
                await asyncio.sleep(0.01)
            got = [(c.arrived[marker] - at) * 1000 for c in live if marker in c.arrived]
            if r < 0:
                print(f"fan-out warm-up: last client after {max(got, default=0):.0f} ms", file=sys.stderr, flush=True)
                await asyncio.sleep(1.0)
                continue
            delays += got
            per_round.append(
                {
                    "received": len(got),
                    "missing": len(live) - len(got),
                    "load_1m": round(load, 2),
                    "p50_ms": round(percentile(got, 50), 1) if got else None,
                    "p99_ms": round(percentile(got, 99), 1) if got else None,
                    "last_ms": round(max(got), 1) if got else None,
                }
            )
            print(f"fan-out round {r + 1}: {per_round[-1]}", file=sys.stderr, flush=True)
            await asyncio.sleep(1.0)
        await nc.close()
    finally:
        for c in opened:
            if c.transport is not None:
                c.transport.close()
    return {
        "clients_wanted": clients,
        "clients": len(live),
        "connect_s": round(connect_s, 1),
        "rounds": per_round,
        "p50_ms": round(percentile(delays, 50), 1) if delays else None,
        "p99_ms": round(percentile(delays, 99), 1) if delays else None,
        "max_ms": round(max(delays), 1) if delays else None,
        "missing": sum(r["missing"] for r in per_round),
    }


class SinkLog:
    """Counts the mails the sink kept, from its log line per mail (written after the fsync and the
    rename), with the time each line arrived. Listing the mail directory instead cost ~10 ms per
    look at 20,000 files: a poll every 20 ms took a third of a core from the services under test."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.arrivals: list[float] = []
        self._thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            if b"kept a mail" in line:
                self.arrivals.append(time.perf_counter())

    def count(self) -> int:
        return len(self.arrivals)

    async def wait(self, expected: int, timeout: float = 300) -> float:
        """When the `expected`-th mail (counted from the sink's start) was kept."""
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < expected:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.arrivals)} of {expected} mails arrived")
            await asyncio.sleep(0.005)
        return self.arrivals[expected - 1]


def notices(n: int, tag: str) -> list:
    from shared.catalog import RegistrantNotice

    starts = datetime.now(UTC) + timedelta(days=2)
    return [
        RegistrantNotice(
            registration_id=f"bench-{tag}-{i}",
            event_id="bench",
            kind="confirmed",
            email=f"svc{i}@example.org",
            name="Bench",
            event_title="Gründerfrühstück",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue="Rathaus Bottrop",
            cancel_url=f"http://127.0.0.1:8002/registrations/{i}/cancel?token={tag}{i:06d}",
        )
        for i in range(n)
    ]


def raw_messages(n: int) -> list:
    """The bytes the service would send for the same notices, built (untimed) with its own render
    and `outgoing`: the raw loop then only talks SMTP, the strictest ceiling."""
    import uuid

    from services.notifications.mailer import outgoing, render

    messages = []
    for notice in notices(n, "raw"):
        context = notice.model_dump(mode="json")
        rendered = render("registration", "de", context)
        messages.append(
            outgoing(
                {
                    "id": str(uuid.uuid4()),
                    "recipient": notice.email,
                    "subject": rendered.subject,
                    "body": rendered.text,
                    "html": rendered.html,
                    "headers": {"Content-Language": "de"},
                    "created_at": datetime.now(UTC),
                },
                "HalloBot Bottrop <noreply@hallo-bot.de>",
            )
        )
    return messages


async def raw_run(smtp_port: int, sink: SinkLog, messages: list, connections: int = 1) -> float:
    """The messages over `connections` raw aiosmtplib connections at once (1: the raw loop)."""
    import aiosmtplib

    async def send(share: list) -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, start_tls=False)
        await smtp.connect()
        for message in share:
            await smtp.sendmail(message.sender, [message.recipient], message.data)
        await smtp.quit()

    before = sink.count()
    started = time.perf_counter()
    await asyncio.gather(*(send(messages[i::connections]) for i in range(connections)))
    return await sink.wait(before + len(messages)) - started


async def service_run(js, sink: SinkLog, n: int, tag: str) -> float:
    events = [(notice.nats_subject(), notice.to_event()) for notice in notices(n, tag)]
    before = sink.count()
    started = time.perf_counter()
    for subject, event in events:
        await js.publish(subject, event.to_json(), headers=event.headers())
    return await sink.wait(before + n) - started


async def mail_throughput(
    nats_url: str,
    smtp_port: int,
    sink: SinkLog,
    n: int,
    rounds: int,
    service_pid: int,
    connections: int,
    warmup_s: float,
) -> dict:
    import nats

    messages = raw_messages(n)
    sizes = sorted(len(m.data) for m in messages)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    # Warm-up (untimed): the first mails pay for imports, template compilation and connections.
    # The raw loop itself speeds up by more than half over its first few thousand mails on this
    # machine (the sink's fsyncs into a fresh directory, the CPU), so it runs for `warmup_s` first:
    # otherwise the first rounds compare the service with a slow baseline.
    await service_run(js, sink, 20, "warm")
    warm_until = time.monotonic() + warmup_s
    while time.monotonic() < warm_until:
        await raw_run(smtp_port, sink, messages)
    results = []
    for r in range(rounds):
        load = os.getloadavg()[0]
        raw_before = await raw_run(smtp_port, sink, messages)
        cpu = cpu_seconds(service_pid)
        service_s = await service_run(js, sink, n, f"r{r}")
        cpu = cpu_seconds(service_pid) - cpu
        raw_after = await raw_run(smtp_port, sink, messages)
        raw_s = (raw_before + raw_after) / 2
        raw_parallel_s = await raw_run(smtp_port, sink, messages, connections)
        results.append(
            {
                "raw_per_s": [round(n / raw_before, 1), round(n / raw_after, 1)],
                "service_per_s": round(n / service_s, 1),
                "ratio": round(raw_s / service_s, 3),
                "raw_same_connections_per_s": round(n / raw_parallel_s, 1),
                "ratio_same_connections": round(raw_parallel_s / service_s, 3),
                "service_cpu_ms_per_mail": round(cpu / n * 1000, 2),
                "load_1m": round(load, 2),
            }
        )
        print(f"round {r + 1}: {results[-1]}", file=sys.stderr, flush=True)
    await nc.close()
    ratios = [r["ratio"] for r in results]
    return {
        "mails": n,
        "message_bytes": [sizes[0], sizes[-1]],
        "rounds": results,
        "ratio_min": min(ratios),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_max": max(ratios),
        "ratio_same_connections_median": round(statistics.median(r["ratio_same_connections"] for r in results), 3),
        "sender_connections": connections,
        "goal_ratio": 0.7,
        # issue #19's baseline: raw aiosmtplib over as many connections as the service uses
        "goal_ratio_same_connections": 0.8,
    }


async def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hallobot-bench-notify-"))
    with nats_server() as nats:
        smtp_port, sink_dir = free_port(), work / "mails"
        sink = subprocess.Popen(
            [sys.executable, "-m", "hallobot.mailsink", "--dir", str(sink_dir), "--port", str(smtp_port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        sink_log = SinkLog(sink)
        env = {
            "NATS_URL": nats.url,
            "HALLOBOT_DATA_DIR": str(work / "var"),
            "HALLOBOT_OPERATOR_TOKEN": TOKEN,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "HALLOBOT_LOG_LEVEL": "WARNING",
            "WIFI_CONFIRM_REPORTS": "1",
        }
        env.update(args.service_databases)
        if args.connections:
            env["NOTIFICATIONS_SENDER_CONNECTIONS"] = str(args.connections)
        services = [Service("wifi", env, work), Service("notifications", env, work)]
        result: dict = {"cpus": os.cpu_count(), "load_before": [round(x, 2) for x in os.getloadavg()]}
        try:
            for service in services:
                service.wait_ready()
            if args.only in (None, "latency"):
                result["latency"] = await latency(*services, args.rate, args.seconds, args.hotspots)
            if args.only in (None, "fanout"):
                result["fanout"] = await fanout(
                    services[1], nats.url, args.clients, args.fanout_rounds, args.connect_timeout
                )
            if args.only in (None, "mail"):
                result["mail"] = await mail_throughput(
                    nats.url,
                    smtp_port,
                    sink_log,
                    args.mails,
                    args.rounds,
                    services[1].process.pid,
                    args.connections or default_sender_connections(),
                    args.warmup,
                )
            result["load_after"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            for service in services:
                service.stop()
            sink.terminate()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="status changes per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hotspots", type=int, default=12, help="latency: hotspots sharing --rate")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="mail rounds (raw, service, raw each)")
    parser.add_argument("--clients", type=int, default=5000, help="SSE fan-out: concurrent GET /feed clients")
    parser.add_argument("--fanout-rounds", type=int, default=5, help="SSE fan-out: events, one per round")
    parser.add_argument("--connect-timeout", type=float, default=120.0, help="SSE fan-out: bound on connecting")
    parser.add_argument("--only", choices=["latency", "mail", "fanout"], default=None)
    parser.add_argument("--connections", type=int, default=None, help="NOTIFICATIONS_SENDER_CONNECTIONS")
    parser.add_argument("--warmup", type=float, default=10.0, help="mail: seconds of raw sending before round 1")
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server: wifi and notifications each get a new database there (default SQLite)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # the services inherit it: one fd per client
    wanted = args.clients + 1024
    if soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    with contextlib.ExitStack() as databases:
        args.service_databases = {}
        if args.database_url:  # a new database per service on that server, dropped afterwards
            from bench.frontdoor_data import directory_database

            for service in ("wifi", "notifications"):
                url = databases.enter_context(directory_database(args.database_url, Path(tempfile.gettempdir())))
                args.service_databases[f"{service.upper()}_DATABASE_URL"] = url
        result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
