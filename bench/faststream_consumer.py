"""Benchmark: FastStream 0.7 pull subscribers vs the hand-written ConsumerGroup vs raw nats-py pulling.

    .venv/bin/python bench/faststream_consumer.py [--n 5000] [--database-url postgresql://…] [--json out.json]

Does FastStream carry its weight as the consumer? The same work three ways, on one nats-server and
one database, in one run (set-up untimed: N CloudEvent envelopes in the WIFI stream, as bench/consumer.py):

- raw pull fetch(100) + ack (before and after the others; the baseline is both together);
- ConsumerGroup: shared/consumer.py as the services run it (batch of 100, one transaction per batch:
  decode and validate, inbox claim, effect rows, ack);
- FastStream, one message per call: `@broker.subscriber(subject, stream=…, durable=…,
  pull_sub=PullSub(batch_size=100))` with a handler `async def handle(event: CloudEvent)`: FastStream
  decodes and validates the body, the handler validates the catalog payload, claims the id in the
  inbox and writes the effect row in one transaction; FastStream acks after the handler returns.
  It runs the fetched messages of a batch concurrently (one task each), so each message is its own
  transaction: the way a low-volume consumer would be written with FastStream;
- FastStream, batches: the same with `PullSub(batch_size=100, batch=True)` and a handler of
  `list[CloudEvent]`: one transaction per batch, like the ConsumerGroup. FastStream's batch mode
  waits until the batch is full or `timeout` has passed (it keeps fetching), where nats-py's fetch
  and the ConsumerGroup return as soon as messages are there.

Each FastStream run is timed from `broker.start()` until its handler has committed N effects. The
broker logs as a service's does (the `faststream` logger at WARNING, shared/logging.py). Afterwards
effects == N and inbox rows == N are checked for each, and nothing un-acked on any durable.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import (
    environment,
    group_has_acked,
    print_table,
    rate,
    raw_pull_consume,
    run_main,
    wait_until,
)
from bench.consumer import BATCH, POLL_S, SUBJECT, wifi_envelopes_and_tables
from bench.relay import STREAM


async def run(args) -> dict:
    from faststream.nats import JStream, NatsBroker, PullSub
    from sqlalchemy import Table, func, select

    from shared.catalog import payload_of
    from shared.consumer import ConsumerGroup, DeliveryPolicy, Subscription
    from shared.envelope import CloudEvent, utcnow
    from shared.heap import freeze_startup_heap
    from shared.inbox import claim_many

    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("nats").setLevel(logging.WARNING)
    n = args.n
    results: dict[str, float] = {}
    counts: dict[str, tuple[int, int]] = {}
    unacked: dict[str, int] = {}
    async with wifi_envelopes_and_tables(args.database_url, n, per_consumer=True) as bench:
        js, envelope_bytes, db, inbox, effect = bench.js, bench.envelope_bytes, bench.db, bench.inbox, bench.effect

        def effect_row(consumer: str, event_id: str, payload, now) -> dict:
            return {
                "consumer": consumer,
                "event_id": event_id,
                "hotspot_id": payload.hotspot_id,
                "status": payload.status,
                "recorded_at": now,
            }

        # --- the ConsumerGroup, as bench/consumer.py runs it ------------------------
        async def record(session, deliveries) -> None:
            now = utcnow()
            rows = [effect_row("bench-group", d.message_id, d.payload, now) for d in deliveries]
            await session.execute(effect.insert(), rows)

        group = ConsumerGroup(db, inbox, lambda: js, DeliveryPolicy())
        sub = Subscription(name="bench-group", stream=STREAM, subject=SUBJECT, batch_handler=record, batch_size=BATCH)
        group.add(sub)

        def consumer_config(durable: str):
            config = group.consumer_config(sub)  # the same settings for every contender
            config.durable_name = durable
            return config

        freeze_startup_heap()
        raw_s, raw_received = await raw_pull_consume(
            js, stream=STREAM, subject=SUBJECT, n=n, batch=BATCH, config=consumer_config("bench-raw-1")
        )

        started = time.perf_counter()
        await group.start()
        done = await wait_until(group_has_acked(sub.name, n), timeout=max(120.0, n / 50), interval=POLL_S)
        results["group"] = time.perf_counter() - started
        await group.stop(graceful_timeout=10)
        if not done:
            raise RuntimeError("ConsumerGroup did not apply all effects in time")

        # --- FastStream subscribers ---------------------------------------------------
        async def faststream_run(name: str, pull_sub: PullSub, handler) -> None:
            committed = [0]
            broker = NatsBroker(bench.server_url, logger=logging.getLogger("faststream"))
            broker.subscriber(
                SUBJECT,
                stream=JStream(STREAM, declare=False),
                durable=name,
                config=consumer_config(name),
                pull_sub=pull_sub,
            )(handler(name, committed))

            async def all_committed() -> bool:
                return committed[0] >= n

            started = time.perf_counter()
            await broker.start()
            try:
                done = await wait_until(all_committed, timeout=max(120.0, n / 20), interval=POLL_S)
                results[name] = time.perf_counter() - started
                await asyncio.sleep(0.2)  # the last batch's acks go out after its handler returned
            finally:
                await broker.stop()
            if not done:
                raise RuntimeError(f"{name}: {committed[0]} of {n} effects in time")

        def one_at_a_time(name: str, committed: list[int]):
            async def handle(event: CloudEvent) -> None:
                payload = payload_of(event)
                async with db.transaction() as session:
                    if await claim_many(session, inbox, name, [event.id]):
                        await session.execute(effect.insert(), [effect_row(name, event.id, payload, utcnow())])
                committed[0] += 1

            return handle

        def in_batches(name: str, committed: list[int]):
            async def handle(events: list[CloudEvent]) -> None:
                decoded = [(event.id, payload_of(event)) for event in events]
                now = utcnow()
                async with db.transaction() as session:
                    claimed = await claim_many(session, inbox, name, [event_id for event_id, _ in decoded])
                    rows = [effect_row(name, i, p, now) for i, p in decoded if i in claimed]
                    if rows:
                        await session.execute(effect.insert(), rows)
                committed[0] += len(events)

            return handle

        await faststream_run("bench-fs-single", PullSub(batch_size=BATCH), one_at_a_time)
        await faststream_run("bench-fs-batch", PullSub(batch_size=BATCH, batch=True), in_batches)

        raw_after_s, raw_after_received = await raw_pull_consume(
            js, stream=STREAM, subject=SUBJECT, n=n, batch=BATCH, config=consumer_config("bench-raw-2")
        )

        async def count(table: Table, consumer_column, name: str) -> int:
            async with db.reading() as session:
                query = select(func.count()).select_from(table).where(consumer_column == name)
                return await session.scalar(query)

        await bench.nc.flush()
        for name in ("bench-group", "bench-fs-single", "bench-fs-batch"):
            counts[name] = (
                await count(effect, effect.c.consumer, name),
                await count(inbox, inbox.c.consumer, name),
            )

            async def settled(name: str = name) -> bool:
                info = await js.consumer_info(STREAM, name)
                return not info.num_ack_pending and not info.num_pending

            await wait_until(settled, timeout=5, interval=0.05)
            info = await js.consumer_info(STREAM, name)
            unacked[name] = (info.num_ack_pending or 0) + (info.num_pending or 0)

    raw = rate(raw_received + raw_after_received, raw_s + raw_after_s)
    group_rate = rate(n, results["group"])
    single_rate = rate(n, results["bench-fs-single"])
    batch_rate = rate(n, results["bench-fs-batch"])
    ok = (
        raw_received == raw_after_received == n
        and all(c == (n, n) for c in counts.values())
        and not any(unacked.values())
    )
    print_table(
        f"FastStream consumer benchmark — {bench.kind}, envelope {envelope_bytes:.0f} B, batch {BATCH}",
        [
            ("raw pull fetch(100) + ack, before", str(raw_received), f"{raw_s:.3f}", f"{rate(n, raw_s):,.0f}"),
            (
                "raw pull fetch(100) + ack, after",
                str(raw_after_received),
                f"{raw_after_s:.3f}",
                f"{rate(n, raw_after_s):,.0f}",
            ),
            ("raw [baseline]", str(raw_received + raw_after_received), f"{raw_s + raw_after_s:.3f}", f"{raw:,.0f}"),
            ("ConsumerGroup (batch transaction)", str(n), f"{results['group']:.3f}", f"{group_rate:,.0f}"),
            (
                "FastStream PullSub(100), per message",
                str(n),
                f"{results['bench-fs-single']:.3f}",
                f"{single_rate:,.0f}",
            ),
            ("FastStream PullSub(100, batch=True)", str(n), f"{results['bench-fs-batch']:.3f}", f"{batch_rate:,.0f}"),
        ],
    )
    print(f"\nratio ConsumerGroup / raw                 = {group_rate / raw:.3f}")
    print(f"ratio FastStream per message / raw        = {single_rate / raw:.3f}")
    print(f"ratio FastStream batch=True / raw         = {batch_rate / raw:.3f}")
    print(f"effects, inbox rows per consumer = {counts}; un-acked = {unacked} -> {'OK' if ok else 'MISMATCH'}")
    return {
        "bench": "faststream_consumer",
        "ratio_group": round(group_rate / raw, 4),
        "ratio_faststream_single": round(single_rate / raw, 4),
        "ratio_faststream_batch": round(batch_rate / raw, 4),
        "n": n,
        "database": bench.kind,
        "raw_msgs_per_s": round(raw, 1),
        "group_msgs_per_s": round(group_rate, 1),
        "faststream_single_msgs_per_s": round(single_rate, 1),
        "faststream_batch_msgs_per_s": round(batch_rate, 1),
        "envelope_bytes": round(envelope_bytes),
        "ok": ok,
        **environment(),
    }


def main() -> int:
    return run_main(run, __doc__, default_n=5000)


if __name__ == "__main__":
    sys.exit(main())
