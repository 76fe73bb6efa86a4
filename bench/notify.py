"""Benchmark: notifications latency (HTTP state change → SSE client) and mail throughput.

    .venv/bin/python bench/notify.py [--rate 100] [--seconds 10] [--mails 2000] [--json out.json]

Latency: the wifi and notifications services run as real processes (`hallobot serve`) on a private
nats-server. Six hotspots report over HTTP at `--rate` reports/s in total, alternating uplink ok/
failing with WIFI_CONFIRM_REPORTS=1, so every report is a status change. Latency is measured from
just before the report's HTTP POST to the moment the matching wifi.hotspot.status_changed arrives
on one open `GET /feed` stream (outbox → relay → WIFI stream → ordered consumer → SSE). Goal: p99 ≤ 20 ms.

Mail: both sides send to the same SMTP sink process (`python -m hallobot.mailsink`).
Baseline: one raw aiosmtplib connection sending `--mails` ready messages one after another.
Service: `--mails` registrant notices are published to PRIVATE; the clock runs from the first
publish to the last mail at the sink, so it includes consuming, the inbox, rendering the Jinja2
templates, the deliveries table and marking each mail sent. Goal: ratio ≥ 0.7.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench._support import free_port, nats_server  # noqa: E402

TOKEN = "bench-operator-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Service:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hallobot.cli", "serve", name, "--port", str(self.port)],
            env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
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


def hotspot_body(i: int) -> dict:
    return {"site_name": f"Bench {i}", "host_business": "Bench", "address": "Bottrop", "latitude": 51.52,
            "longitude": 6.92, "ap_model": "AP", "ap_serial": f"S{i}", "ap_mac": f"00:11:22:33:44:{i:02x}",
            "placement": "indoor", "report_interval_s": 60}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def sse_listener(url: str, sent: dict[str, deque], latencies: list[float], ready: asyncio.Event) -> None:
    async with httpx.AsyncClient(timeout=None) as client, client.stream("GET", f"{url}/feed") as response:
        async for line in response.aiter_lines():
            if line.startswith("event: ready"):
                ready.set()
            if not line.startswith("data: {\"specversion"):
                continue
            now = time.perf_counter()
            event = json.loads(line[6:])
            if event["type"].endswith("wifi.hotspot.status_changed"):
                queue = sent[event["data"]["hotspot_id"]]
                if queue:
                    latencies.append((now - queue.popleft()) * 1000)


async def latency(wifi: Service, notifications: Service, rate: float, seconds: float) -> dict:
    async with httpx.AsyncClient(timeout=10) as client:
        hotspots = []
        for i in range(6):
            response = await client.post(f"{wifi.url}/hotspots", json=hotspot_body(i), headers=AUTH)
            response.raise_for_status()
            hotspots.append((response.json()["id"], response.json()["host_token"]))
        sent: dict[str, deque] = defaultdict(deque)
        latencies: list[float] = []
        ready = asyncio.Event()
        listener = asyncio.create_task(sse_listener(notifications.url, sent, latencies, ready))
        await asyncio.wait_for(ready.wait(), 10)
        last_status: dict[str, str | None] = {h: None for h, _ in hotspots}
        total, interval = int(rate * seconds), 1.0 / rate
        started = time.perf_counter()

        async def report(n: int) -> None:
            hotspot, token = hotspots[n % 6]
            ok = (n // 6) % 2 == 0
            at = time.perf_counter()
            sent[hotspot].append(at)  # appended before the POST: the event cannot overtake it
            response = await client.post(
                f"{wifi.url}/hotspots/{hotspot}/reports", headers={"Authorization": f"Bearer {token}"},
                json={"timestamp": datetime.now(UTC).isoformat(), "uplink_ok": ok, "clients": 3})
            status = response.json().get("status")
            if status == last_status[hotspot]:  # not a change after all: drop its timestamp
                with contextlib.suppress(ValueError):
                    sent[hotspot].remove(at)
            last_status[hotspot] = status

        tasks = []
        for n in range(total):
            delay = started + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(report(n)))
            if n % 6 == 5:  # keep each hotspot's reports in order
                await asyncio.gather(*tasks[-6:])
        await asyncio.gather(*tasks)
        deadline = time.monotonic() + 10
        while any(sent.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        listener.cancel()
        achieved = total / (time.perf_counter() - started)
    return {"changes": len(latencies), "rate_per_s": round(achieved, 1),
            "p50_ms": round(statistics.median(latencies), 2), "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2), "goal_p99_ms": 20}


def count_mails(directory: Path) -> int:
    return sum(1 for _ in directory.glob("*.eml"))


async def wait_mails(directory: Path, expected: int, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while count_mails(directory) < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {count_mails(directory)} of {expected} mails arrived")
        await asyncio.sleep(0.01)
    return time.perf_counter()


async def mail_throughput(nats_url: str, smtp_port: int, sink_dir: Path, notifications: Service, n: int) -> dict:
    import aiosmtplib
    import nats

    from shared.catalog import RegistrantNotice

    before = count_mails(sink_dir)
    messages = []
    for i in range(n):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "noreply@hallo-bot.de", f"raw{i}@example.org", "raw"
        message.set_content("Guten Tag,\n\nIhre Anmeldung ist bestätigt.\n" * 5)
        messages.append(message)
    started = time.perf_counter()
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, start_tls=False)
    await smtp.connect()
    for message in messages:
        await smtp.send_message(message)
    await smtp.quit()
    raw_s = await wait_mails(sink_dir, before + n) - started

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    starts = datetime.now(UTC) + timedelta(days=2)
    notices = [RegistrantNotice(
        registration_id=f"bench-{i}", event_id="bench", kind="confirmed", email=f"svc{i}@example.org",
        name="Bench", event_title="Gründerfrühstück", starts_at=starts, ends_at=starts + timedelta(hours=2),
        cancel_url=f"http://127.0.0.1:8002/cancel/{i}") for i in range(n)]
    before = count_mails(sink_dir)
    started = time.perf_counter()
    for notice in notices:
        event = notice.to_event()
        await js.publish(notice.nats_subject(), event.to_json(), headers=event.headers())
    service_s = await wait_mails(sink_dir, before + n) - started
    await nc.close()
    return {"mails": n, "raw_per_s": round(n / raw_s, 1), "service_per_s": round(n / service_s, 1),
            "ratio": round(raw_s / service_s, 3), "goal_ratio": 0.7}


async def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hallobot-bench-notify-"))
    with nats_server() as nats:
        smtp_port, sink_dir = free_port(), work / "mails"
        sink = subprocess.Popen([sys.executable, "-m", "hallobot.mailsink", "--dir", str(sink_dir),
                                 "--port", str(smtp_port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        env = {"NATS_URL": nats.url, "HALLOBOT_DATA_DIR": str(work / "var"), "HALLOBOT_OPERATOR_TOKEN": TOKEN,
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "HALLOBOT_LOG_LEVEL": "WARNING",
               "WIFI_CONFIRM_REPORTS": "1"}
        if args.database_url:
            env["NOTIFICATIONS_DATABASE_URL"] = args.database_url
        services = [Service("wifi", env, work), Service("notifications", env, work)]
        try:
            for service in services:
                service.wait_ready()
            result = {"latency": await latency(*services, args.rate, args.seconds),
                      "mail": await mail_throughput(nats.url, smtp_port, sink_dir, services[1], args.mails)}
        finally:
            for service in services:
                service.stop()
            sink.terminate()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="status changes per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL for notifications (default SQLite)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
