"""Benchmark: does the cost of the hot queries stay flat as the data grows? (#19, part 5)

    .venv/bin/python bench/data_growth.py [--quick] [--database-url postgresql://…] [--only directory,wifi,events]
                                          [--json out.json]

Each figure is measured twice in the same run, on databases migrated like the services' own
(shared/migrations.py) and seeded directly through the services' tables (bulk inserts): at 1× data
and at 10× data. The result is the ratio 10× ÷ 1× per figure; the goal is flat, or at most
logarithmic growth (≤ 1.5 for ten times the data).

- directory search p99: profiles 1,000 vs 10,000; a mix of the search page's questions (first page,
  a category, free text, a name, "open now"), `queries.search` in process.
- wifi 36-month duty report: six sites, one month vs three years of history (36× the data). The
  service keeps every host report (reports) but the availability figures are computed from the
  status periods alone (services/wifi/store.periods), so the history is generated at that level:
  a site flaps up/degraded a few times a day and is down about once a week. Also the month's
  uptime report of this month so far (the report the office reads most). The closed months are
  rolled up first, as the periodic check does (`roll_up_months`); `wifi_duty_from_periods` times the
  duty report from every period (as before the roll-ups) beside it.
- inbox claim: `claim_many` of 50 new ids with 10,000 vs 100,000 claims present.
- outbox round: `OutboxRelay.publish_pending` of 20 new rows with 10,000 vs 100,000 published rows
  present (against a private nats-server); the first round of a relay that has just started too.
- events: registering (the `register` use case, one transaction) and listing (the public list's
  first page; one event's participants) with 10,000 vs 100,000 registrations, 100 per event.

The two scales live side by side and their operations are timed in turn (1x, 10x, 1x, …), so that
the load of a shared machine drifts onto both alike; the reported figure is the ratio.

PostgreSQL: a private database per service and scale is created on the given server and dropped
afterwards. Times are per operation in milliseconds; the machine's load shows in `uptime`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from bench._support import emit, environment, fresh_database, nats_server
from tests.support.plans import analyze  # VACUUM ANALYZE on PostgreSQL: as autovacuum leaves a loaded table

SCALES = (1, 10)
GOAL = 1.5
INSERT_CHUNK = 5000
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # fixed, so both scales see the same calendar


# --- databases --------------------------------------------------------------------------------


async def bulk_insert(db, table, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), INSERT_CHUNK):
        async with db.write_connection() as conn:
            await conn.execute(insert(table), rows[start : start + INSERT_CHUNK])


Operation = Callable[[], Awaitable[float]]  # runs once, returns its own time in ms (preparation untimed)


def timed(work: Callable[[], Awaitable[Any]]) -> Operation:
    async def operation() -> float:
        started = time.perf_counter()
        await work()
        return (time.perf_counter() - started) * 1000

    return operation


async def interleaved(operations: dict[int, Operation], repeat: int, warmup: int = 3) -> dict[int, list[float]]:
    """Each scale's operation in turn, `repeat` times: on a shared machine the load drifts during a run,
    and alternating lets the drift fall on 1x and 10x alike (the ratio is what is reported)."""
    for _ in range(warmup):
        for operation in operations.values():
            await operation()
    found: dict[int, list[float]] = {scale: [] for scale in operations}
    for _ in range(repeat):
        for scale, operation in operations.items():
            found[scale].append(await operation())
    return found


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- directory search -------------------------------------------------------------------------

WORDS = ["Bäckerei", "Café", "Fahrrad", "Blumen", "Buchhandlung", "Optik", "Metzgerei", "Friseur", "Weltladen"]


def business_rows(count: int) -> list[dict[str, Any]]:
    from services.directory.domain import CATEGORIES
    from services.directory.search_text import search_columns

    categories = list(CATEGORIES)
    rows = []
    for i in range(count):
        word = WORDS[i % len(WORDS)]
        row: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "name": f"{word} {i:05d}",
            "category": categories[i % len(categories)],
            "description": f"{word} in Bottrop, Nummer {i}, mit Lieferung und Abholung.",
            "offerings": [word.lower(), "gutschein"] if i % 4 == 0 else [word.lower()],
            "email": None,
            "phone": "02041 70 30",
            "website": None,
            "street": f"Hochstraße {i % 200 + 1}",
            "postal_code": "46236",
            "city": "Bottrop",
            "latitude": None,
            "longitude": None,
            "opening_hours": ["Mo-Fr 08:00-18:00; Sa 08:00-13:00", "Mo-Sa 10:00-19:00", None][i % 3],
            "delivery": i % 2 == 0,
            "pickup": i % 3 == 0,
            "offer": None,
            "accepts_gutschein": i % 5 == 0,
            "sells_gutschein": False,
            "online_shop": i % 7 == 0,
            "fairtrade_products": 3 if i % 11 == 0 else 0,
            "links": [],
            "owner_email": None,
            "status": "published" if i % 10 else "draft",
            "self_registered": False,
            "edit_token_hash": secrets.token_hex(32),
            "created_at": NOW - timedelta(days=400),
            "updated_at": NOW - timedelta(days=30),
            "touched_at": NOW - timedelta(days=30),
            "published_at": NOW - timedelta(days=300),
        }
        row.update(search_columns(row))
        rows.append(row)
    return rows


@contextlib.asynccontextmanager
async def directory_setup(url: str, profiles: int) -> AsyncIterator[dict[str, Operation]]:
    from services.directory import queries
    from services.directory.models import businesses
    from shared.db import Database
    from shared.migrations import upgrade_async

    await upgrade_async("directory", url)
    db = Database(url)
    try:
        await bulk_insert(db, businesses, business_rows(profiles))
        await analyze(db)
        questions = {
            "first_page": queries.Filters(),
            "category": queries.Filters(category="gastronomie"),
            "word": queries.Filters(q="bäckerei"),
            "name": queries.Filters(q="Optik 00042"),
            "open_now": queries.Filters(open_at=NOW),
            "word_delivery": queries.Filters(q="blumen", delivery=True),
        }
        operations: dict[str, Operation] = {}
        for name, filters in questions.items():

            async def ask(filters: queries.Filters = filters) -> None:
                async with db.reading() as session:
                    await queries.search(
                        session, filters, page=1, per_page=20, is_sqlite=db.is_sqlite, columns=queries.CARD_COLUMNS
                    )

            operations[f"search_{name}"] = timed(ask)
        yield operations
    finally:
        await db.dispose()


# --- wifi: the 36-month duty report -----------------------------------------------------------

SITES = 6


def wifi_history(days: int, seed: int = 19) -> tuple[list[dict], list[dict], list[dict]]:
    """Hotspots, status periods and outages of `days` days before NOW: up most of the time, a few
    degraded stretches a day, down about once a week, a maintenance window a month."""
    rng = random.Random(seed)
    first = NOW - timedelta(days=days)
    hotspots, periods, outages = [], [], []
    for site in range(SITES):
        hotspot_id = f"00000000-0000-0000-0000-{site:012d}"
        hotspots.append(
            {
                "id": hotspot_id,
                "site_name": f"Standort {site + 1}",
                "host_business": "Stadt Bottrop",
                "address": f"Hochstraße {site + 1}",
                "latitude": 51.52,
                "longitude": 6.93,
                "ap_model": "AP",
                "ap_serial": f"S{site}",
                "ap_mac": f"00:00:00:00:00:{site:02d}",
                "placement": "outdoor",
                "report_interval_s": 60,
                "token_hash": secrets.token_hex(32),
                "created_at": first,
                "status": "up",
                "status_since": first,
                "status_reason": "",
                "last_report_at": NOW,
                "observed": "up",
                "candidate": None,
                "streak": 0,
                "duty_start": first.date(),
            }
        )
        at = first
        while at < NOW:
            up_for = timedelta(minutes=rng.expovariate(1 / 400))  # ~3.6 changes a day
            periods.append({"hotspot_id": hotspot_id, "status": "up", "reason": "", "started_at": at})
            at += up_for
            if at >= NOW:
                break
            roll = rng.random()
            if roll < 0.05:
                status, length = "down", timedelta(minutes=rng.uniform(5, 120))
            elif roll < 0.055:
                status, length = "maintenance", timedelta(hours=rng.uniform(1, 4))
            else:
                status, length = "degraded", timedelta(minutes=rng.uniform(3, 60))
            periods.append({"hotspot_id": hotspot_id, "status": status, "reason": "bench", "started_at": at})
            if status == "down":
                outages.append(
                    {
                        "id": str(uuid.uuid4()),
                        "hotspot_id": hotspot_id,
                        "started_at": at,
                        "noticed_at": at + timedelta(minutes=3),
                        "ended_at": min(at + length, NOW),
                        "alert": "alone",
                        "incident_id": None,
                        "recovery_announced": True,
                    }
                )
            at += length
        site_periods = [row for row in periods if row["hotspot_id"] == hotspot_id]
        for this, following in itertools.pairwise(site_periods):
            this["ended_at"] = following["started_at"]
        site_periods[-1]["ended_at"] = None
    return hotspots, periods, outages


@contextlib.asynccontextmanager
async def wifi_setup(url: str, days: int) -> AsyncIterator[dict[str, Operation]]:
    from services.wifi import domain_duty, queries, queries_duty, store
    from services.wifi.config import WifiSettings
    from services.wifi.domain import LOCAL, month_bounds
    from services.wifi.handlers_status import roll_up_months
    from services.wifi.models import hotspots, outages, status_periods
    from shared.db import Database
    from shared.migrations import upgrade_async

    await upgrade_async("wifi", url)
    db = Database(url)
    try:
        sites, periods, site_outages = wifi_history(days)
        await bulk_insert(db, hotspots, sites)
        await bulk_insert(db, status_periods, periods)
        await bulk_insert(db, outages, site_outages)
        rolled, written = 0, -1  # the closed months' roll-ups, as the periodic check writes them (a dozen a round)
        while written:
            async with db.transaction() as session:
                written = await roll_up_months(store.SqlWifiStore(session), NOW, WifiSettings().max_report_age)
            rolled += written
        await analyze(db)
        month = f"{NOW.astimezone(LOCAL):%Y-%m}"  # this month so far: one month of history covers it

        async def duty() -> None:
            async with db.reading() as session:
                found = await queries_duty.all_duties(session, now=NOW)
            assert len(found) == SITES

        async def duty_from_periods() -> None:
            """The duty report as before the roll-ups: every status period of the obligation period."""
            async with db.reading() as session:
                for site in sites:
                    lo, hi = domain_duty.duty_bounds(site["duty_start"])
                    spans = await store.periods(session, site["id"], lo, hi)
                    domain_duty.summary(spans, site["duty_start"], NOW)

        async def month_report() -> None:
            async with db.reading() as session:
                await queries.all_month_uptime(session, month, now=NOW)

        async def month_periods() -> None:
            """The month report's read alone: the status periods of each site that touch this month."""
            start, end = month_bounds(month)
            async with db.reading() as session:
                for site in sites:
                    await store.periods(session, site["id"], start, end)

        print(f"wifi, {days} days: {len(periods)} status periods, {rolled} months rolled up", file=sys.stderr)
        yield {
            "wifi_duty_36_months": timed(duty),
            "wifi_duty_from_periods": timed(duty_from_periods),
            "wifi_month_uptime": timed(month_report),
            "wifi_month_periods": timed(month_periods),
        }
    finally:
        await db.dispose()


# --- events, inbox and outbox (one migrated events database per scale) ------------------------

PER_EVENT = 100
COMING = 20  # events still to come, at both scales: the public list shows as many


def event_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"ev{i:08d}",
            "kind": "event",
            "title": f"Veranstaltung {i}",
            "series": None,
            "description": "Bench",
            # most are over (a growing archive), the last COMING are still to come
            "starts_at": NOW + timedelta(days=i - count + COMING + 1),
            "ends_at": NOW + timedelta(days=i - count + COMING + 1, hours=2),
            "venue": "Rathaus",
            "online_url": None,
            "capacity": PER_EVENT + 50,
            "waitlist": True,
            "registration_opens_at": None,
            "registration_closes_at": None,
            "status": "published",
            "created_at": NOW - timedelta(days=count),
            "updated_at": NOW - timedelta(days=count),
        }
        for i in range(count)
    ]


def registration_rows(events: int) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4().hex,
            "event_id": f"ev{e:08d}",
            "seq": seq + 1,
            "status": "confirmed",
            "name": f"Person {seq}",
            "email": f"p{e}-{seq}@example.org",
            "email_key": f"p{e}-{seq}@example.org",
            "language": "de",
            "consent_at": NOW - timedelta(days=1),
            "cancel_token_hash": secrets.token_hex(32),
            "created_at": NOW - timedelta(days=1),
        }
        for e in range(events)
        for seq in range(PER_EVENT)
    ]


def inbox_rows(count: int) -> list[dict[str, Any]]:
    return [
        {"consumer": "events-bench", "message_id": uuid.uuid4().hex, "processed_at": NOW - timedelta(minutes=i)}
        for i in range(count)
    ]


def outbox_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": uuid.uuid4().hex,
            "subject": "hallobot.events.bench",
            "payload": b'{"bench": true}',
            "created_at": NOW - timedelta(minutes=count - i),
            "published_at": NOW - timedelta(minutes=count - i - 1),
        }
        for i in range(count)
    ]


def make_event(i: int):
    from shared.catalog import HotspotStatusChanged

    return HotspotStatusChanged(hotspot_id=f"hs-{i % 6}", previous="up", status="degraded", reason="bench", since=NOW)


@contextlib.asynccontextmanager
async def events_setup(url: str, registrations: int, nats_url: str) -> AsyncIterator[dict[str, Operation]]:
    import nats

    from services.events import queries, queries_exports
    from services.events.commands import RegisterForEvent
    from services.events.handlers.registrations import register
    from services.events.models import events, inbox, outbox
    from services.events.models import registrations as registrations_table
    from services.events.store import SqlStore
    from shared.db import Database
    from shared.inbox import claim_many
    from shared.migrations import upgrade_async
    from shared.outbox import add_events
    from shared.relay import OutboxRelay
    from shared.streams import ensure_streams

    await upgrade_async("events", url)
    db = Database(url)
    nc = await nats.connect(nats_url)
    try:
        count = registrations // PER_EVENT
        await bulk_insert(db, events, event_rows(count))
        await bulk_insert(db, registrations_table, registration_rows(count))
        await bulk_insert(db, inbox, inbox_rows(registrations))
        await bulk_insert(db, outbox, outbox_rows(registrations))
        await analyze(db)
        rng = random.Random(5)
        upcoming = [f"ev{i:08d}" for i in range(count - COMING, count)]
        made = iter(range(10**9))

        async def register_one() -> None:
            async with db.transaction() as session:
                command = RegisterForEvent(
                    event_id=rng.choice(upcoming), name="Neu", email=f"neu{next(made)}@example.org"
                )
                await register(SqlStore(session), command, NOW, lambda path: f"https://bench{path}")

        async def list_public() -> None:
            async with db.reading() as session:
                await queries.list_events(session, operator=False, after=NOW)

        async def participants() -> None:
            async with db.reading() as session:
                await queries_exports.participants(session, rng.choice(upcoming))

        async def claim() -> None:
            async with db.transaction() as session:
                claimed = await claim_many(session, inbox, "events-bench", [uuid.uuid4().hex for _ in range(50)])
            assert len(claimed) == 50

        js = nc.jetstream()
        await ensure_streams(js)
        relay = OutboxRelay(db, outbox, lambda: js, service="bench")

        async def stage() -> None:
            """20 new rows, with none other pending (registering stages events too)."""
            while (await relay.publish_pending())[0]:
                pass
            async with db.transaction() as session:
                await add_events(session, outbox, [make_event(i) for i in range(20)])

        async def outbox_round() -> float:
            await stage()
            started = time.perf_counter()
            published, _ = await relay.publish_pending()
            elapsed = (time.perf_counter() - started) * 1000
            assert published == 20, published
            return elapsed

        async def first_round() -> float:
            """A relay just started (a restart, a new instance) reads from the first unpublished row."""
            await stage()
            fresh = OutboxRelay(db, outbox, lambda: js, service="bench")
            started = time.perf_counter()
            published, _ = await fresh.publish_pending()
            elapsed = (time.perf_counter() - started) * 1000
            assert published == 20, published
            return elapsed

        yield {
            "register": timed(register_one),
            "list_events": timed(list_public),
            "participants": timed(participants),
            "inbox_claim": timed(claim),
            "outbox_round": outbox_round,
            "outbox_first_round": first_round,
        }
    finally:
        await nc.close()
        await db.dispose()


# --- the run ----------------------------------------------------------------------------------

PARTS = ("directory", "wifi", "events")  # what --only may choose; events covers inbox, outbox and registering
HEADLINE = (  # (figure, statistic): p99 for the search page as #19 asks, medians elsewhere
    ("search", "p99"),
    ("wifi_duty_36_months", "p50"),
    ("wifi_duty_from_periods", "p50"),
    ("wifi_month_uptime", "p50"),
    ("wifi_month_periods", "p50"),
    ("inbox_claim", "p50"),
    ("outbox_round", "p50"),
    ("outbox_first_round", "p50"),
    ("register", "p50"),
    ("list_events", "p50"),
    ("participants", "p50"),
)


async def measure(setups: dict[int, Any], repeat: int) -> dict[str, dict[int, list[float]]]:
    """Opens each scale's setup, then times each operation interleaved across the scales."""
    async with contextlib.AsyncExitStack() as stack:
        operations = {scale: await stack.enter_async_context(setup) for scale, setup in setups.items()}
        return {
            name: await interleaved({scale: found[name] for scale, found in operations.items()}, repeat)
            for name in operations[SCALES[0]]
        }


async def run(args) -> dict:
    repeat = 30 if args.quick else 150
    profiles = 300 if args.quick else 1000
    registrations = 2000 if args.quick else 10_000
    wifi_days = 30
    wifi_factor = 36  # three years against one month
    parts = args.only.split(",") if args.only else PARTS
    kind = "postgresql" if args.database_url and args.database_url.startswith("postgres") else "sqlite"
    work = Path(tempfile.mkdtemp(prefix="hallobot-bench-growth-"))
    times: dict[str, dict[int, list[float]]] = {}
    load_before = os.getloadavg()[0]
    try:
        with nats_server() as server:
            async with contextlib.AsyncExitStack() as stack:

                async def database(name: str) -> str:
                    return await stack.enter_async_context(fresh_database(args.database_url, work, name))

                if "directory" in parts:
                    urls = {scale: await database(f"directory{scale}") for scale in SCALES}
                    times |= await measure({s: directory_setup(urls[s], profiles * s) for s in SCALES}, repeat)
                    print("directory done", file=sys.stderr)
                if "wifi" in parts:
                    urls = {scale: await database(f"wifi{scale}") for scale in SCALES}
                    days = {1: wifi_days, 10: wifi_days * wifi_factor}
                    times |= await measure({s: wifi_setup(urls[s], days[s]) for s in SCALES}, max(5, repeat // 10))
                    print("wifi done", file=sys.stderr)
                if "events" in parts:
                    urls = {scale: await database(f"events{scale}") for scale in SCALES}
                    times |= await measure(
                        {s: events_setup(urls[s], registrations * s, server.url) for s in SCALES}, repeat
                    )
                    print("events done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    search = [name for name in times if name.startswith("search_")]
    if search:
        times["search"] = {scale: [t for name in search for t in times[name][scale]] for scale in SCALES}

    figures: dict[str, dict[str, float]] = {}
    for name, by_scale in times.items():
        for statistic, q in (("p50", 0.5), ("p99", 0.99)):
            one, ten = p(by_scale[1], q), p(by_scale[10], q)
            figures[f"{name}_{statistic}"] = {"1x": round(one, 3), "10x": round(ten, 3), "ratio": round(ten / one, 3)}
    width = max(len(name) for name in figures)
    print(
        f"\ndata growth — {kind}, load {load_before:.2f} → {os.getloadavg()[0]:.2f} (1 min); 1x: {profiles} profiles, "
        f"{wifi_days} days of six wifi sites, {registrations} registrations / inbox claims / published outbox rows; "
        f"10x ({wifi_factor}x for wifi); ms per operation, 1x and 10x interleaved"
    )
    print(f"{'figure'.ljust(width)}  {'1x':>9}  {'10x':>9}  ratio")
    headline = [f"{name}_{statistic}" for name, statistic in HEADLINE if f"{name}_{statistic}" in figures]
    for name in [*headline, *sorted(set(figures) - set(headline))]:
        row = figures[name]
        mark = "  <- grows" if row["ratio"] > GOAL else ""
        print(f"{name.ljust(width)}  {row['1x']:9.2f}  {row['10x']:9.2f}  {row['ratio']}{mark}")
    return {
        "bench": "data_growth",
        "ok": True,
        "database": kind,
        "goal": GOAL,
        "quick": bool(args.quick),
        "parts": list(parts),
        "ratios": {name: figures[name]["ratio"] for name in headline},
        "growing": [name for name in headline if figures[name]["ratio"] > GOAL],
        "figures": figures,
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **environment(),
    }


def parts_of(text: str) -> str:
    unknown = set(text.split(",")) - set(PARTS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part(s): {', '.join(sorted(unknown))}")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data (0.3×) and fewer repetitions")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HALLOBOT_BENCH_DATABASE_URL"),
        help="postgresql://… (a role that may create databases; private ones are dropped after); "
        "default: temporary SQLite files",
    )
    parser.add_argument(
        "--only", type=parts_of, help=f"comma-separated parts to measure, nothing else ({', '.join(PARTS)})"
    )
    parser.add_argument("--json", dest="json_path", help="also write the result JSON line to this file")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    emit(result, args.json_path)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
