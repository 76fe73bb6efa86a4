"""Benchmark: OutboxRelay throughput as a ratio of raw nats-py JetStream publishing.

    .venv/bin/python bench/relay.py [--n 15000] [--database-url postgresql://…] [--json out.json]
    HALLOBOT_RELAY_WINDOW=1 .venv/bin/python bench/relay.py   # the relay one publish at a time

Baseline (same run, same server, same stream, same envelope bytes): pipelined
`js.publish_async(subject, payload, headers={"Nats-Msg-Id": id})` for all N, then every PubAck
awaited, what one connection to JetStream can carry; run before and after the relay, and the
baseline is both together. The relay keeps a window of rows in flight (order per stream held by
`Nats-Expected-Last-Msg-Id`, docs/architecture.md). Sequential `await js.publish(...)`, one
after another (the relay before #19), is printed for context.

Relay: N outbox rows are staged with `add_event` (transactions of 500) before the clock starts;
then `OutboxRelay.publish_pending()` rounds are timed until every row is published. The stream
must then hold exactly N messages (no duplicates, none lost).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    bench_database,
    environment,
    nats_server,
    print_table,
    rate,
    run_main,
)

STREAM = "WIFI"
HOTSPOTS = [f"hs-{i:02d}" for i in range(1, 7)]
STATUSES = ["up", "degraded", "down", "maintenance"]
STAGE_BATCH = 500
WARMUP = 300


def make_event(i: int):
    from shared.catalog import HotspotStatusChanged

    return HotspotStatusChanged(
        hotspot_id=HOTSPOTS[i % len(HOTSPOTS)],
        previous=STATUSES[(i - 1) % len(STATUSES)],
        status=STATUSES[i % len(STATUSES)],
        reason="bench",
        since=datetime(2025, 1, 1, tzinfo=UTC),
    )


async def stream_messages(js) -> int:
    return (await js.stream_info(STREAM)).state.messages


async def raw_sequential(js, messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    for subject, event_id, payload in messages:
        await js.publish(subject, payload, headers={"Nats-Msg-Id": event_id})
    return time.perf_counter() - started


async def raw_pipelined(js, messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    futures = [
        await js.publish_async(subject, payload, headers={"Nats-Msg-Id": event_id})
        for subject, event_id, payload in messages
    ]
    await asyncio.gather(*futures)
    return time.perf_counter() - started


def baseline_messages(n: int) -> list[tuple[str, str, bytes]]:
    """N envelopes exactly like the relay's (same model, same size), with fresh ids."""
    out = []
    for i in range(n):
        data = make_event(i)
        event = data.to_event()
        out.append((data.nats_subject(), event.id, event.to_json()))
    return out


async def run(args) -> dict:
    import nats
    from sqlalchemy import MetaData, func, select

    from shared.db import Database
    from shared.outbox import add_event, outbox_table
    from shared.relay import OutboxRelay
    from shared.relay.relay import WINDOW
    from shared.streams import ensure_streams

    n = args.n
    with nats_server() as server:
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await ensure_streams(js)

            # --- raw baselines -------------------------------------------------------------
            await raw_sequential(js, baseline_messages(WARMUP))  # connection + server warm-up
            await js.purge_stream(STREAM)

            messages = baseline_messages(n)
            envelope_bytes = sum(len(m[2]) for m in messages) / n
            raw_seq_s = await raw_sequential(js, messages)
            raw_seq_count = await stream_messages(js)
            await js.purge_stream(STREAM)
            del messages

            raw_async_s = await raw_pipelined(js, baseline_messages(n))
            raw_async_count = await stream_messages(js)
            await js.purge_stream(STREAM)

            # --- relay ---------------------------------------------------------------------
            async with bench_database(args.database_url) as bench_db:
                db = Database(bench_db.url)
                metadata = MetaData(schema=bench_db.schema)
                table = outbox_table(metadata)
                try:
                    async with db.engine.begin() as conn:
                        await conn.run_sync(metadata.drop_all)
                        await conn.run_sync(metadata.create_all)

                    stage_started = time.perf_counter()
                    for start in range(0, n, STAGE_BATCH):
                        async with db.transaction() as session:
                            for i in range(start, min(n, start + STAGE_BATCH)):
                                await add_event(session, table, make_event(i))
                    stage_s = time.perf_counter() - stage_started
                    async with db.engine.connect() as conn:
                        staged = await conn.scalar(select(func.count()).select_from(table))
                        sample = await conn.scalar(select(table.c.payload).limit(1))
                    assert staged == n, f"staged {staged} rows, expected {n}"

                    relay = OutboxRelay(
                        db,
                        table,
                        lambda: js,
                        service="bench",
                        window=int(os.environ.get("HALLOBOT_RELAY_WINDOW", WINDOW)),
                    )
                    profiler = cProfile.Profile() if args.profile else None
                    rounds = 0
                    published = 0
                    if profiler:
                        profiler.enable()
                    started = time.perf_counter()
                    deadline = started + max(60.0, n / 100)
                    while published < n:
                        done, _complete = await relay.publish_pending()
                        published += done
                        rounds += 1
                        if time.perf_counter() > deadline:
                            raise RuntimeError(f"relay stalled: {published}/{n} after {rounds} rounds")
                    relay_s = time.perf_counter() - started
                    if profiler:
                        profiler.disable()
                        profiler.dump_stats(args.profile)

                    relay_count = await stream_messages(js)
                    leftover, _ = await relay.publish_pending()  # nothing may be left or re-sent
                    async with db.engine.connect() as conn:
                        unpublished = await conn.scalar(
                            select(func.count()).select_from(table).where(table.c.published_at.is_(None))
                        )
                    relay_count_after = await stream_messages(js)

                    # the baseline once more, after the relay: load drift on a shared machine
                    # shows up as a difference between the two, and the ratio uses both
                    await js.purge_stream(STREAM)
                    raw_async_after_s = await raw_pipelined(js, baseline_messages(n))
                    raw_async_count_after = await stream_messages(js)
                finally:
                    async with db.engine.begin() as conn:
                        await conn.run_sync(metadata.drop_all)
                    await db.dispose()
        finally:
            await nc.close()

    raw_seq = rate(n, raw_seq_s)
    raw_async = rate(2 * n, raw_async_s + raw_async_after_s)  # both baseline runs together
    relay_rate = rate(n, relay_s)
    ok = relay_count == n and relay_count_after == n and unpublished == 0 and leftover == 0
    ok = ok and raw_seq_count == raw_async_count == raw_async_count_after == n
    both_s = raw_async_s + raw_async_after_s
    rows = [
        ("raw js.publish (sequential) [context]", str(n), f"{raw_seq_s:.3f}", f"{raw_seq:,.0f}"),
        ("raw js.publish_async (pipelined), before", str(n), f"{raw_async_s:.3f}", f"{rate(n, raw_async_s):,.0f}"),
        (
            "raw js.publish_async (pipelined), after",
            str(n),
            f"{raw_async_after_s:.3f}",
            f"{rate(n, raw_async_after_s):,.0f}",
        ),
        ("raw js.publish_async (pipelined) [baseline]", str(2 * n), f"{both_s:.3f}", f"{raw_async:,.0f}"),
        ("stage outbox rows (add_event, untimed)", str(n), f"{stage_s:.3f}", f"{rate(n, stage_s):,.0f}"),
        (f"OutboxRelay.publish_pending ({rounds} rounds)", str(n), f"{relay_s:.3f}", f"{relay_rate:,.0f}"),
    ]
    print_table(
        f"relay benchmark — {bench_db.kind}, envelope {envelope_bytes:.0f} B (stored row {len(sample)} B), "
        f"batch_size {relay.batch_size}, window {relay.window}",
        rows,
    )
    print(f"\nratio relay / raw pipelined    = {relay_rate / raw_async:.3f}   (goal >= 0.8)")
    print(f"ratio relay / raw sequential   = {relay_rate / raw_seq:.3f}   (context)")
    print(
        f"stream {STREAM} messages after relay = {relay_count} (expected {n}); after an extra round = "
        f"{relay_count_after}; unpublished rows = {unpublished}; raw runs stored "
        f"{raw_seq_count}/{raw_async_count}/{raw_async_count_after}"
        f" -> {'OK' if ok else 'MISMATCH'}"
    )
    return {
        "bench": "relay",
        "ratio": round(relay_rate / raw_async, 4),
        "goal": 0.8,
        "n": n,
        "database": bench_db.kind,
        "relay_msgs_per_s": round(relay_rate, 1),
        "window": relay.window,
        "raw_pipelined_msgs_per_s": round(raw_async, 1),
        "raw_pipelined_before_msgs_per_s": round(rate(n, raw_async_s), 1),
        "raw_pipelined_after_msgs_per_s": round(rate(n, raw_async_after_s), 1),
        "raw_sequential_msgs_per_s": round(raw_seq, 1),
        "ratio_vs_sequential": round(relay_rate / raw_seq, 4),
        "rounds": rounds,
        "envelope_bytes": round(envelope_bytes),
        "stream_messages": relay_count,
        "duplicates_or_missing": relay_count - n,
        "ok": ok,
        **environment(),
    }


def main() -> int:
    return run_main(run, __doc__, default_n=15000)


if __name__ == "__main__":
    sys.exit(main())
