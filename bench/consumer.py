"""Benchmark: ConsumerGroup throughput (decode + inbox claim + effect + ack) vs raw nats-py pulling.

    .venv/bin/python bench/consumer.py [--n 10000] [--database-url postgresql://…] [--json out.json]

Setup (untimed): N CloudEvent envelopes (HotspotStatusChanged) are published into the WIFI stream.

Baseline: a durable pull consumer (run before and after the group, ratio against both), `fetch(batch=100)`
and `await msg.ack()` for each message,
until N messages were received. No decoding, no database: the cost of moving messages.

ConsumerGroup: one Subscription on a fresh durable consumer over the same N messages; its handler
inserts one row per event into a small `bench_effect` table (the "effect"). The clock runs from
`ConsumerGroup.start()` until the group has acked N messages (it acks a batch only after the batch's
transaction committed; read from its `hallobot_consumer_messages_total{outcome="ok"}` counter every
20 ms). Afterwards effects == N, inbox rows == N and nothing left un-acked are verified in the database
and on the server.
"""

from __future__ import annotations

import asyncio
import cProfile
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    bench_database,
    environment,
    group_has_acked,
    nats_server,
    print_table,
    rate,
    raw_pull_consume,
    run_main,
    wait_until,
)
from bench.relay import STREAM, make_event

SUBJECT = "hallobot.wifi.hotspot.>"
BATCH = 100
POLL_S = 0.02


async def publish_envelopes(js, n: int) -> float:
    from shared.envelope import CONTENT_TYPE

    sizes = 0
    pending = []
    for i in range(n):
        data = make_event(i)
        event = data.to_event()
        payload = event.to_json()
        sizes += len(payload)
        headers = {"Nats-Msg-Id": event.id, "Content-Type": CONTENT_TYPE}
        pending.append(await js.publish_async(data.nats_subject(), payload, headers=headers))
    await asyncio.gather(*pending)
    return sizes / n


class ConsumerBench(NamedTuple):
    server_url: str
    nc: Any
    js: Any
    kind: str  # the bench database's kind (sqlite, postgresql)
    envelope_bytes: float
    db: Any
    inbox: Any
    effect: Any


@asynccontextmanager
async def wifi_envelopes_and_tables(
    database_url: str | None, n: int, *, per_consumer: bool
) -> AsyncIterator[ConsumerBench]:
    """Untimed set-up shared by the consumer benchmarks: a nats-server whose WIFI stream holds N
    envelopes, a bench database with an inbox and an effect table (keyed by consumer as well when
    several contenders write into it); everything is dropped and stopped afterwards."""
    import nats
    from sqlalchemy import Column, DateTime, MetaData, String, Table

    from shared.db import Database
    from shared.inbox import inbox_table
    from shared.streams import ensure_streams

    with nats_server() as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await ensure_streams(js)
            envelope_bytes = await publish_envelopes(js, n)
            assert (await js.stream_info(STREAM)).state.messages == n
            async with bench_database(database_url) as bench_db:
                db = Database(bench_db.url)
                metadata = MetaData(schema=bench_db.schema)
                inbox = inbox_table(metadata)
                keys = [Column("consumer", String(64), primary_key=True)] if per_consumer else []
                effect = Table(
                    "bench_effect",
                    metadata,
                    *keys,
                    Column("event_id", String(64), primary_key=True),
                    Column("hotspot_id", String(64), nullable=False),
                    Column("status", String(20), nullable=False),
                    Column("recorded_at", DateTime(timezone=True), nullable=False),
                )
                try:
                    async with db.engine.begin() as conn:
                        await conn.run_sync(metadata.drop_all)
                        await conn.run_sync(metadata.create_all)
                    yield ConsumerBench(server.url, nc, js, bench_db.kind, envelope_bytes, db, inbox, effect)
                finally:
                    async with db.engine.begin() as conn:
                        await conn.run_sync(metadata.drop_all)
                    await db.dispose()
        finally:
            await nc.close()


async def raw_consume(js, n: int, consumer_config, durable: str) -> tuple[float, int]:
    consumer_config.durable_name = durable
    return await raw_pull_consume(js, stream=STREAM, subject=SUBJECT, n=n, batch=BATCH, config=consumer_config)


async def run(args) -> dict:
    from sqlalchemy import Table, func, select

    from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
    from shared.envelope import utcnow
    from shared.heap import freeze_startup_heap

    n = args.n
    async with wifi_envelopes_and_tables(args.database_url, n, per_consumer=False) as bench:
        js, envelope_bytes, db, inbox, effect = bench.js, bench.envelope_bytes, bench.db, bench.inbox, bench.effect

        async def record(session, deliveries) -> None:
            # A batch handler: one executemany for the batch's new deliveries.
            now = utcnow()
            await session.execute(
                effect.insert(),
                [
                    {
                        "event_id": d.message_id,
                        "hotspot_id": d.payload.hotspot_id,
                        "status": d.payload.status,
                        "recorded_at": now,
                    }
                    for d in deliveries
                ],
            )

        policy = DeliveryPolicy()
        group = ConsumerGroup(db, inbox, lambda: js, policy)
        sub = Subscription(name="bench-group", stream=STREAM, subject=SUBJECT, batch_handler=record, batch_size=BATCH)
        group.add(sub)

        freeze_startup_heap()  # as a service does once it has started (shared.service.Runtime.start)
        # --- raw baseline (same consumer settings as the group's) ---------------------
        raw_s, raw_received = await raw_consume(js, n, group.consumer_config(sub), "bench-raw-1")

        # --- ConsumerGroup -----------------------------------------------------------
        async def count(table: Table, *where) -> int:
            async with db.reading() as session:
                return await session.scalar(select(func.count()).select_from(table).where(*where))

        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        await group.start()
        finished = await wait_until(group_has_acked(sub.name, n), timeout=max(120.0, n / 50), interval=POLL_S)
        group_s = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        await group.stop(graceful_timeout=10)
        if not finished:
            raise RuntimeError("ConsumerGroup did not apply all effects in time")

        effects = await count(effect)
        inbox_rows = await count(inbox, inbox.c.consumer == sub.name)

        async def all_acked() -> bool:  # acks are fire-and-forget: let the server catch up
            info = await js.consumer_info(STREAM, sub.name)
            return not info.num_ack_pending and not info.num_pending

        await bench.nc.flush()
        await wait_until(all_acked, timeout=5, interval=0.05)
        info = await js.consumer_info(STREAM, sub.name)

        # the baseline once more, after the group: load drift on a shared machine shows
        # up as a difference between the two runs, and the ratio uses both
        raw_after_s, raw_after_received = await raw_consume(js, n, group.consumer_config(sub), "bench-raw-2")

    raw = rate(raw_received + raw_after_received, raw_s + raw_after_s)  # both baseline runs together
    grp = rate(n, group_s)
    unacked = (info.num_ack_pending or 0) + (info.num_pending or 0)
    ok = effects == n and inbox_rows == n and raw_received == raw_after_received == n and unacked == 0
    print_table(
        f"consumer benchmark — {bench.kind}, envelope {envelope_bytes:.0f} B, fetch batch {BATCH}",
        [
            ("raw pull fetch(100) + ack, before", str(raw_received), f"{raw_s:.3f}", f"{rate(n, raw_s):,.0f}"),
            (
                "raw pull fetch(100) + ack, after",
                str(raw_after_received),
                f"{raw_after_s:.3f}",
                f"{rate(n, raw_after_s):,.0f}",
            ),
            (
                "raw pull fetch(100) + ack [baseline]",
                str(raw_received + raw_after_received),
                f"{raw_s + raw_after_s:.3f}",
                f"{raw:,.0f}",
            ),
            ("ConsumerGroup (decode+inbox+effect+ack)", str(n), f"{group_s:.3f}", f"{grp:,.0f}"),
        ],
    )
    print(f"\nratio ConsumerGroup / raw pull = {grp / raw:.3f}   (goal >= 0.7 on SQLite and PostgreSQL, #19)")
    print(
        f"effects = {effects}, inbox rows = {inbox_rows} (expected {n}); consumer un-acked = {unacked}, "
        f"redelivered = {info.num_redelivered or 0} -> {'OK' if ok else 'MISMATCH'}"
    )
    return {
        "bench": "consumer",
        "ratio": round(grp / raw, 4),
        "goal": 0.7,
        "n": n,
        "database": bench.kind,
        "consumer_msgs_per_s": round(grp, 1),
        "raw_msgs_per_s": round(raw, 1),
        "raw_before_msgs_per_s": round(rate(n, raw_s), 1),
        "raw_after_msgs_per_s": round(rate(n, raw_after_s), 1),
        "envelope_bytes": round(envelope_bytes),
        "effects": effects,
        "inbox_rows": inbox_rows,
        "unacked": unacked,
        "redelivered": info.num_redelivered or 0,
        "ok": ok,
        **environment(),
    }


def main() -> int:
    return run_main(run, __doc__, default_n=10000)


if __name__ == "__main__":
    sys.exit(main())
