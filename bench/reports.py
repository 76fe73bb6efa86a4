"""Benchmark: hotspot reports over NATS taken by the wifi service vs raw nats-py pull-consume.

    .venv/bin/python bench/reports.py [--n 10000] [--database-url postgresql://…(an empty database)]
        [--json out.json] [--profile out.pstats]

Setup (untimed): a private nats-server and a fresh wifi database (Alembic head, SQLite by default);
six hotspots are registered through the real handler; N JSON reports (fresh, increasing timestamps,
round-robin over the six, each with its host credential header) are published to
`hallobot.wifi.reports.<id>` in the WIFI_REPORTS stream.

Baseline: a durable pull consumer, `fetch(500)` (the report subscription's batch size) and `ack` per
message until N arrived (run before and after the service, ratio against both together). No
decoding, no database. The heap is frozen first, as a service does once it has started.

Service: the wifi service's own report Subscription (decode, credential check, inbox claim, report
row, status machine, ack) in a ConsumerGroup; the clock runs from start until the group has acked N
reports (after their transactions committed; read from its messages counter every 20 ms). Then report
rows == N, inbox rows == N, nothing dead-lettered, nothing un-acked.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    environment,
    fresh_database,
    group_has_acked,
    nats_server,
    print_table,
    rate,
    raw_pull_consume,
    run_main,
    wait_until,
)

STREAM, SUBJECT, BATCH = "WIFI_REPORTS", "hallobot.wifi.reports.>", 500


async def raw_consume(js, n: int, durable: str) -> tuple[float, int]:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    config = ConsumerConfig(
        durable_name=durable, deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT, max_ack_pending=1000
    )
    return await raw_pull_consume(js, stream=STREAM, subject=SUBJECT, n=n, batch=BATCH, config=config)


async def run(args) -> dict:
    import nats
    from sqlalchemy import func, select

    from services.wifi import handlers, models
    from services.wifi.config import WifiSettings
    from services.wifi.consumers import report_subscription
    from services.wifi.schemas import HotspotCreate
    from services.wifi.store import SqlWifiStore
    from shared.consumer import ConsumerGroup, DeliveryPolicy
    from shared.db import Database
    from shared.heap import freeze_startup_heap
    from shared.migrations import upgrade_async
    from shared.streams import ensure_streams

    n = args.n
    settings = WifiSettings(heartbeat_timeout_s=180)
    with nats_server() as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            work = Path(tempfile.mkdtemp(prefix="hallobot-bench-reports-"))
            async with fresh_database(args.database_url, work) as url:
                kind = "postgresql" if args.database_url else "sqlite"
                await upgrade_async("wifi", url)
                db = Database(url)
                now = datetime.now(UTC)
                sites = []
                async with db.transaction() as session:
                    for i in range(6):
                        body = HotspotCreate(
                            site_name=f"Bench {i}",
                            host_business="Bench",
                            address="Bottrop",
                            latitude=51.52,
                            longitude=6.93,
                            ap_model="AP",
                            ap_serial=f"S{i}",
                            ap_mac=f"02:00:00:00:00:{i:02x}",
                            placement="outdoor",
                        )
                        sites.append(await handlers.create_hotspot(SqlWifiStore(session), body.model_dump(), now))
                start = now - timedelta(seconds=60)
                pending, size = [], 0
                for i in range(n):
                    hotspot_id, token = sites[i % 6]
                    report = {
                        "timestamp": (start + timedelta(milliseconds=i)).isoformat(),
                        "uplink_ok": i % 7 != 0,
                        "clients": i % 40,
                        "backhaul_mbps": 50.0 + i % 30,
                    }
                    payload = json.dumps(report).encode()
                    size += len(payload)
                    pending.append(
                        await js.publish_async(
                            f"hallobot.wifi.reports.{hotspot_id}", payload, headers={"Authorization": f"Bearer {token}"}
                        )
                    )
                await asyncio.gather(*pending)
                assert (await js.stream_info(STREAM)).state.messages == n

                freeze_startup_heap()  # as a service does once it has started (shared.service.Runtime.start)
                raw_s, raw_received = await raw_consume(js, n, "bench-raw-before")

                group = ConsumerGroup(
                    db, models.inbox, lambda: js, DeliveryPolicy(max_deliver=3, backoff_s=[0.1], fetch_timeout_s=1.0)
                )
                subscription = report_subscription(settings)
                group.add(subscription)

                async def count(table) -> int:
                    async with db.reading() as session:
                        return (await session.execute(select(func.count()).select_from(table))).scalar()

                profiler = cProfile.Profile() if args.profile else None
                if profiler:
                    profiler.enable()
                started = time.perf_counter()
                await group.start()
                done = await wait_until(group_has_acked(subscription.name, n), timeout=600)
                service_s = time.perf_counter() - started
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
                await group.stop(5)

                raw_after_s, raw_after_received = await raw_consume(js, n, "bench-raw-after")
                reports, inbox_rows = await count(models.reports), await count(models.inbox)
                info = await js.consumer_info(STREAM, subscription.name)
                try:
                    dead = (await js.stream_info("DLQ")).state.messages
                except Exception:
                    dead = 0
                await db.dispose()
        finally:
            await nc.close()

    raw = rate(raw_received + raw_after_received, raw_s + raw_after_s)
    service = rate(n, service_s)
    unacked = (info.num_ack_pending or 0) + (info.num_pending or 0)
    ok = done and reports == n and inbox_rows == n and dead == 0 and unacked == 0
    print_table(
        f"wifi reports benchmark — {kind}, report {size / n:.0f} B, fetch batch {BATCH}",
        [
            (f"raw pull fetch({BATCH}) + ack, before", str(raw_received), f"{raw_s:.3f}", f"{rate(n, raw_s):,.0f}"),
            (
                f"raw pull fetch({BATCH}) + ack, after",
                str(raw_after_received),
                f"{raw_after_s:.3f}",
                f"{rate(n, raw_after_s):,.0f}",
            ),
            ("wifi report consumer (decode+auth+inbox+row+status+ack)", str(n), f"{service_s:.3f}", f"{service:,.0f}"),
        ],
    )
    print(f"\nratio wifi reports / raw pull = {service / raw:.3f}   (goal >= 0.7 on SQLite and PostgreSQL, #19)")
    print(
        f"reports = {reports}, inbox = {inbox_rows} (expected {n}), dead letters = {dead}, un-acked = {unacked} "
        f"-> {'OK' if ok else 'MISMATCH'}"
    )
    return {
        "bench": "reports",
        "ratio": round(service / raw, 4),
        "goal": 0.7,
        "n": n,
        "database": kind,
        "reports_per_s": round(service, 1),
        "raw_msgs_per_s": round(raw, 1),
        "reports": reports,
        "inbox_rows": inbox_rows,
        "dead_letters": dead,
        "unacked": unacked,
        "ok": ok,
        **environment(),
    }


def main() -> int:
    return run_main(run, __doc__, default_n=10000)


if __name__ == "__main__":
    sys.exit(main())
