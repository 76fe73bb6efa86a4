"""Host reports taken a batch at a time (`record_reports`, the NATS path) end exactly where the same reports
taken one by one (`record_report`) end: same rows, same status, same transitions and events. Refusals still
go to the DLQ with their reason, and the good reports of a refused batch are still taken.

The handler tests run on SQLite and PostgreSQL; the consumer tests on a real nats-server.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.wifi import handlers, models
from services.wifi.config import WifiSettings
from services.wifi.consumers import report_subscription
from services.wifi.handlers_reports import WrongCredential, record_report, record_reports
from services.wifi.models import hotspots, outbox, reports, status_periods
from services.wifi.ports import HostReport
from services.wifi.schemas import ReportIn
from services.wifi.store import SqlWifiStore
from shared.consumer import ConsumerGroup, DeliveryPolicy
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.streams import ensure_streams
from tests.support.databases import migrated
from tests.support.stream import eventually, stream_messages
from tests.wifi.sites import site

SETTINGS = WifiSettings(heartbeat_timeout_s=180)
T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=100)  # every report below is judged at this instant


def body(seconds: float, uplink_ok: bool = True, backhaul: float | None = 100.0, clients: int = 3) -> ReportIn:
    return ReportIn(
        timestamp=T0 + timedelta(seconds=seconds), uplink_ok=uplink_ok, clients=clients, backhaul_mbps=backhaul
    )


# (role, report[, now]): hotspot "a" flaps within the tolerance, then degrades and recovers; it also sees a
# repeat of an earlier report with other content, a report older than its newest one and, within one batch,
# two reports with the same timestamp. "b" starts with a report past the heartbeat timeout and its repeat
# judged by a clock that stepped back (it would count as fresh, were it not a duplicate). "c" is in maintenance.
STEPPED_BACK = T0 - timedelta(seconds=300)
SCENARIO: list[tuple] = [
    ("a", body(0)),
    ("b", body(-400)),
    ("b", body(-400, clients=7), STEPPED_BACK),
    ("c", body(1)),
    ("a", body(10, uplink_ok=False)),
    ("b", body(5, uplink_ok=False)),
    ("a", body(20, uplink_ok=False)),
    ("a", body(30)),
    ("c", body(11, uplink_ok=False)),
    ("a", body(40, uplink_ok=False)),
    ("b", body(15)),
    ("a", body(50, backhaul=10.0)),
    ("a", body(60, uplink_ok=False)),
    ("a", body(50, clients=99)),  # same hotspot and time as an earlier report: a duplicate, kept once
    ("a", body(45)),  # older than the newest: stale, kept, no effect
    ("b", body(25)),
    ("a", body(70)),
    ("a", body(70, uplink_ok=False)),  # the second one is the duplicate
    ("b", body(35)),
    ("a", body(80)),
    ("a", body(90)),
    ("c", body(21)),
]


def steps(batch_size: int) -> list[tuple[datetime, list[tuple[str, ReportIn]]]]:
    """SCENARIO cut into batches of at most `batch_size` reports that share one `now`."""
    batches: list[tuple[datetime, list]] = []
    for index, (role, report, *when) in enumerate(SCENARIO):
        now = when[0] if when else NOW
        if index % batch_size == 0 or batches[-1][0] != now:
            batches.append((now, []))
        batches[-1][1].append((role, report))
    return batches


async def create_sites(db: Database, prefix: str) -> dict[str, tuple[str, str]]:
    """Hotspots a, b, c (c in a maintenance window that is open at NOW): role -> (id, host token)."""
    sites = {}
    async with db.transaction() as session:
        for role in "abc":
            store = SqlWifiStore(session)
            sites[role] = await handlers.create_hotspot(store, site(f"{prefix}-{role}"), T0 - timedelta(hours=1))
    async with db.transaction() as session:
        start, end = T0 - timedelta(minutes=5), T0 + timedelta(hours=1)
        now = T0 - timedelta(minutes=1)
        await handlers.add_maintenance(
            SqlWifiStore(session), sites["c"][0], start, end, "Umbau", now=now, settings=SETTINGS
        )
    return sites


async def outcome(db: Database, hotspot_id: str) -> dict:
    """Everything a report can change for one hotspot, without ids."""
    async with db.reading() as session:
        row = (await session.execute(select(hotspots).where(hotspots.c.id == hotspot_id))).one()
        rows = (
            await session.execute(
                select(
                    reports.c.reported_at,
                    reports.c.received_at,
                    reports.c.uplink_ok,
                    reports.c.clients,
                    reports.c.backhaul_mbps,
                    reports.c.notes,
                    reports.c.via,
                )
                .where(reports.c.hotspot_id == hotspot_id)
                .order_by(reports.c.id)
            )
        ).all()
        periods = (
            await session.execute(
                select(
                    status_periods.c.status,
                    status_periods.c.reason,
                    status_periods.c.started_at,
                    status_periods.c.ended_at,
                )
                .where(status_periods.c.hotspot_id == hotspot_id)
                .order_by(status_periods.c.id)
            )
        ).all()
        payloads = (await session.execute(select(outbox.c.payload).order_by(outbox.c.seq))).scalars().all()
    events = [json.loads(payload) for payload in payloads]
    changes = [
        {key: value for key, value in event["data"].items() if key not in ("hotspot_id", "site_name")}
        for event in events
        if event["type"].endswith("status_changed") and event["subject"] == hotspot_id
    ]
    state = {
        key: getattr(row, key)
        for key in ("status", "status_since", "status_reason", "last_report_at", "observed", "candidate", "streak")
    }
    return {
        "state": state,
        "reports": [tuple(r) for r in rows],
        "periods": [tuple(p) for p in periods],
        "changes": changes,
    }


@pytest.mark.parametrize("batch_size", [len(SCENARIO), 4, 1])
async def test_reports_taken_in_batches_end_where_the_same_reports_taken_one_by_one_end(db, batch_size):
    single, batched = await create_sites(db, "single"), await create_sites(db, "batch")
    for now, batch in steps(1):
        for role, report in batch:
            async with db.transaction() as session:
                hotspot_id, token = single[role]
                store = SqlWifiStore(session)
                await record_report(store, hotspot_id, report, now=now, settings=SETTINGS, via="nats", token=token)
    for now, batch in steps(batch_size):
        async with db.transaction() as session:
            items = [HostReport(batched[role][0], report, batched[role][1]) for role, report in batch]
            await record_reports(SqlWifiStore(session), items, now=now, settings=SETTINGS)

    for role in "abc":
        assert await outcome(db, batched[role][0]) == await outcome(db, single[role][0]), role
    a, b, c = [await outcome(db, batched[role][0]) for role in "abc"]
    assert [(x["previous"], x["status"]) for x in a["changes"]] == [
        (None, "up"),
        ("up", "degraded"),
        ("degraded", "up"),
    ]
    assert a["changes"][1]["since"] == "2025-03-03T10:01:00Z" and a["changes"][2]["since"] == "2025-03-03T10:01:30Z"
    assert len(a["reports"]) == len([step for step in SCENARIO if step[0] == "a"]) - 2  # two duplicates
    assert [r[3] for r in a["reports"]].count(99) == 0  # the first of two reports with one timestamp is kept
    # the report past the heartbeat timeout is kept but changes nothing
    assert [(x["previous"], x["status"]) for x in b["changes"]] == [(None, "degraded"), ("degraded", "up")]
    assert len(b["reports"]) == 5 and 7 not in [r[3] for r in b["reports"]]
    assert [(x["previous"], x["status"]) for x in c["changes"]] == [(None, "maintenance")]  # no alarm inside it
    assert c["state"]["observed"] == "up" and c["state"]["status"] == "maintenance"


async def test_a_batch_with_a_report_that_must_be_refused_raises_the_refusal(db):
    sites = await create_sites(db, "x")
    (a, token_a), (b, token_b) = sites["a"], sites["b"]
    good = [HostReport(a, body(0), token_a), HostReport(b, body(0), token_b)]
    cases = [
        (HostReport(a, body(5), token_b), WrongCredential, "host credential not valid"),
        (HostReport(a, body(5), None), WrongCredential, "host credential not valid"),
        (HostReport("no-such-hotspot", body(5), token_a), NotFound, "no hotspot"),
        (HostReport(a, body(3600), token_a), Invalid, "future"),
        (HostReport(a, body(5).model_copy(update={"hotspot_id": b}), token_a), Invalid, "does not match"),
    ]
    for bad, error, message in cases:
        with pytest.raises(error, match=message):
            async with db.transaction() as session:
                await record_reports(SqlWifiStore(session), [*good, bad], now=NOW, settings=SETTINGS)
    async with db.reading() as session:
        assert (await session.execute(select(func.count()).select_from(reports))).scalar() == 0


# --- through the consumer group on a real nats-server -------------------------------------------------

POLICY = DeliveryPolicy(max_deliver=3, backoff_s=[0.05], ack_wait_s=5.0, fetch_timeout_s=0.5)


@pytest.fixture
async def sqlite_db(tmp_path):
    async with migrated("wifi", f"sqlite:///{tmp_path / 'wifi.sqlite3'}") as database:
        yield database


@pytest.fixture
async def two_sites(sqlite_db, nc):
    """JetStream with the streams declared, and hotspots a and b: (js, (a, token), (b, token))."""
    js = nc.jetstream()
    await ensure_streams(js)
    async with sqlite_db.transaction() as session:
        a, b = [await handlers.create_hotspot(SqlWifiStore(session), site(n), T0) for n in "ab"]
    return js, a, b


async def publish(js, hotspot_id: str, token: str | None, payload: bytes) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    await js.publish(f"hallobot.wifi.reports.{hotspot_id}", payload, headers=headers)


def report_json(seconds: float, **extra) -> bytes:
    return json.dumps(
        {
            "timestamp": (T0 + timedelta(seconds=seconds)).isoformat(),
            "uplink_ok": True,
            "clients": 2,
            "backhaul_mbps": 80.0,
            **extra,
        }
    ).encode()


async def run_group(db: Database, js) -> tuple[ConsumerGroup, list[int]]:
    """The service's report subscription, with the sizes of the batches its batch handler was given."""
    subscription = report_subscription(WifiSettings(heartbeat_timeout_s=timedelta(days=3650).total_seconds()))
    sizes: list[int] = []
    inner = subscription.batch_handler

    async def counting(session, deliveries):
        sizes.append(len(deliveries))
        await inner(session, deliveries)

    group = ConsumerGroup(db, models.inbox, lambda: js, POLICY)
    group.add(dataclasses.replace(subscription, batch_handler=counting))
    await group.start()
    return group, sizes


async def count(db: Database, table) -> int:
    async with db.reading() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar()


async def statuses(db: Database, *ids: str) -> list[str | None]:
    async with db.reading() as session:
        return [(await session.execute(select(hotspots.c.status).where(hotspots.c.id == i))).scalar() for i in ids]


async def test_a_fetched_batch_of_good_reports_is_taken_in_one_call(sqlite_db, two_sites):
    js, (a, token_a), (b, token_b) = two_sites
    for i in range(20):
        await publish(js, *((a, token_a) if i % 2 else (b, token_b)), report_json(i))
    group, sizes = await run_group(sqlite_db, js)
    try:
        assert await eventually(lambda: _equals(count(sqlite_db, reports), 20)) is True
        assert sizes == [20]
        assert await statuses(sqlite_db, a, b) == ["up", "up"]
        assert await count(sqlite_db, models.inbox) == 20
    finally:
        await group.stop(2)


async def test_refused_reports_in_a_batch_go_to_the_dlq_with_their_reason_and_the_others_are_taken(
    sqlite_db, two_sites
):
    js, (a, token_a), (b, token_b) = two_sites
    await publish(js, a, token_a, report_json(0))
    await publish(js, b, token_b, report_json(0))
    await publish(js, a, token_b, report_json(5))  # another host's credential
    await publish(js, a, None, report_json(6))  # no credential
    await publish(js, "no-such-hotspot", token_a, report_json(7))
    await publish(js, a, token_a, report_json(0, clients=9))  # same hotspot and time: a duplicate, kept once
    await publish(js, a, token_a, b'{"timestamp": "yesterday"}')  # malformed: never reaches the handler
    await publish(js, a, token_a, report_json(10, uplink_ok=False))
    group, sizes = await run_group(sqlite_db, js)
    try:
        letters = await eventually(lambda: _dead_letters(js, 4))
        assert sorted(letter["reason"].split(":")[0] for letter in letters) == ["malformed", *["rejected"] * 3]
        reasons = " | ".join(letter["reason"] for letter in letters)
        assert "token: host credential not valid" in reasons and "missing host credential" in reasons
        assert "hotspot_id: no hotspot no-such-hotspot" in reasons
        assert await eventually(lambda: _equals(count(sqlite_db, reports), 3)) is True
        # the whole batch was tried at once, then each report alone
        assert sizes[0] == 7 and sizes[1:] == [1] * 7
        assert await statuses(sqlite_db, a, b) == ["up", "up"]  # one degraded report is within the tolerance
        async with sqlite_db.reading() as session:
            clients = (
                (
                    await session.execute(
                        select(reports.c.clients).where(reports.c.hotspot_id == a).order_by(reports.c.reported_at)
                    )
                )
                .scalars()
                .all()
            )
            events = [json.loads(p) for p in (await session.execute(select(outbox.c.payload))).scalars().all()]
        assert clients == [2, 2]
        changes = sorted(
            (e["subject"], e["data"]["previous"], e["data"]["status"])
            for e in events
            if e["type"].endswith("status_changed")
        )
        assert changes == sorted([(a, None, "up"), (b, None, "up")])
        info = await js.consumer_info("WIFI_REPORTS", "wifi-reports")
        assert (info.num_ack_pending, info.num_pending) == (0, 0)
    finally:
        await group.stop(2)


async def _equals(value, expected) -> bool:
    return await value == expected


async def _dead_letters(js, expected: int) -> list[dict] | None:
    try:
        letters = [json.loads(m.data) for m in await stream_messages(js, "DLQ")]
    except Exception:
        return None
    return letters if len(letters) >= expected else None


async def test_a_report_taken_over_http_and_again_in_a_batch_is_stored_once_with_every_field_intact(db):
    sites = await create_sites(db, "both-paths")
    hotspot_id, token = sites["a"]
    first = body(0).model_copy(update={"notes": "Router neu gestartet – „Kirchplatz“", "backhaul_mbps": None})
    async with db.transaction() as session:
        store = SqlWifiStore(session)
        await record_report(store, hotspot_id, first, now=NOW, settings=SETTINGS, via="http", token=token)
    second = body(1, uplink_ok=False, clients=0).model_copy(update={"notes": None, "backhaul_mbps": 12.5})
    async with db.transaction() as session:  # the HTTP one again (same time, other content), then a new one
        batch = [HostReport(hotspot_id, body(0, clients=42), token), HostReport(hotspot_id, second, token)]
        await record_reports(SqlWifiStore(session), batch, now=NOW, settings=SETTINGS)
    stored = (await outcome(db, hotspot_id))["reports"]
    assert [(r[0], *r[2:]) for r in stored] == [
        (T0, True, 3, None, "Router neu gestartet – „Kirchplatz“", "http"),
        (T0 + timedelta(seconds=1), False, 0, 12.5, None, "nats"),
    ]
