"""Availability of a month with a known outage and a maintenance window, computed exactly.

Runs the real handlers against the real databases (SQLite and PostgreSQL) with the clock passed in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.wifi import handlers, queries
from services.wifi.config import WifiSettings
from services.wifi.handlers_reports import record_report
from services.wifi.handlers_status import check_hotspots
from services.wifi.models import outbox
from services.wifi.schemas import ReportIn
from services.wifi.store import SqlWifiStore
from tests.wifi.sites import site

SETTINGS = WifiSettings(heartbeat_timeout_s=180)
SITE = site(
    "Kirchplatz",
    host_business="Café am Kirchplatz",
    address="Kirchplatz 1, 46236 Bottrop",
    latitude=51.5237,
    longitude=6.9287,
    ap_model="AP-1",
    ap_serial="S1",
    ap_mac="00:11:22:33:44:55",
)


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, second, tzinfo=UTC)


async def report(db, hotspot_id, when, uplink_ok=True):
    async with db.transaction() as session:
        body = ReportIn(timestamp=when, uplink_ok=uplink_ok, clients=3, backhaul_mbps=100)
        return await record_report(SqlWifiStore(session), hotspot_id, body, now=when, settings=SETTINGS)


async def check(db, when):
    async with db.transaction() as session:
        await check_hotspots(SqlWifiStore(session), now=when, settings=SETTINGS)


async def staged_events(db):
    async with db.reading() as session:
        rows = (await session.execute(select(outbox.c.payload).order_by(outbox.c.seq))).scalars().all()
    return [json.loads(row) for row in rows]


async def test_the_uptime_of_a_month_with_a_four_hour_outage_and_two_hours_of_maintenance_is_exact(db):
    created = at(1, 0, month=3) - timedelta(hours=1)  # 1 March, midnight in Bottrop
    async with db.transaction() as session:
        hotspot_id, _ = await handlers.create_hotspot(SqlWifiStore(session), SITE, created)
    await report(db, hotspot_id, created)
    await report(db, hotspot_id, at(10, 10))
    await check(db, at(10, 12))  # silent since 10:00 → down since 10:00
    await report(db, hotspot_id, at(10, 14))  # back up at 14:00
    await report(db, hotspot_id, at(20, 6, 59))  # (the reports in between change nothing)
    async with db.transaction() as session:
        store, window = SqlWifiStore(session), (at(20, 8), at(20, 10), "Firmware")
        await handlers.add_maintenance(store, hotspot_id, *window, now=at(20, 7), settings=SETTINGS)
    await check(db, at(20, 8))
    await report(db, hotspot_id, at(20, 9, 59, 30))  # kept, but inside the window: no status change
    await check(db, at(20, 10, 1))
    await report(db, hotspot_id, at(31, 21, 59, 30))
    await check(db, at(31, 22, 1))  # 1 April 00:01 in Bottrop: the March report goes out

    async with db.reading() as session:
        month = await queries.month_uptime(session, hotspot_id, "2025-03", now=at(31, 22, 1))
    march_s = (31 * 24 - 1) * 3600  # summer time starts on 30 March
    total = month["total"]
    assert (total["down_s"], total["maintenance_s"], total["degraded_s"]) == (4 * 3600, 2 * 3600, 0)
    assert total["up_s"] == march_s - 6 * 3600 and total["not_monitored_s"] == 0
    assert total["uptime_percent"] == round(100 * (march_s - 6 * 3600) / (march_s - 2 * 3600), 4)
    tenth = month["days"][9]
    assert tenth["day"] == "2025-03-10" and (tenth["up_s"], tenth["down_s"]) == (20 * 3600, 4 * 3600)
    assert tenth["uptime_percent"] == round(100 * 20 / 24, 4)
    assert month["days"][19]["maintenance_s"] == 2 * 3600 and month["days"][19]["uptime_percent"] == 100.0

    events = await staged_events(db)
    changes = [
        (e["data"]["previous"], e["data"]["status"], e["data"]["since"])
        for e in events
        if e["type"].endswith("status_changed")
    ]
    assert changes == [
        (None, "up", "2025-02-28T23:00:00Z"),
        ("up", "down", "2025-03-10T10:00:00Z"),
        ("down", "up", "2025-03-10T14:00:00Z"),
        ("up", "maintenance", "2025-03-20T08:00:00Z"),
        ("maintenance", "up", "2025-03-20T10:00:00Z"),
    ]
    monthly = [e for e in events if e["type"].endswith("wifi.hotspot.monthly_report")]
    assert len(monthly) == 1 and monthly[0]["subject"] == "2025-03"
    assert monthly[0]["data"]["hotspots"][0]["uptime_percent"] == total["uptime_percent"]
    assert monthly[0]["dataschema"].endswith("/wifi.hotspot.monthly_report/v2.json")
    duty = {key: monthly[0]["data"]["hotspots"][0][key] for key in ("downtime_min", "incidents", "maintenance_min")}
    assert duty == {"downtime_min": 240, "incidents": 1, "maintenance_min": 120}
    await check(db, at(31, 22, 2))
    assert len([e for e in await staged_events(db) if e["type"].endswith("monthly_report")]) == 1


async def test_a_repeated_report_is_kept_once_and_an_old_one_from_a_buffer_does_not_revive_a_hotspot(db):
    async with db.transaction() as session:
        hotspot_id, _ = await handlers.create_hotspot(SqlWifiStore(session), SITE, at(1, 0))
    assert (await report(db, hotspot_id, at(1, 1))).status == "up"
    assert (await report(db, hotspot_id, at(1, 1))).duplicate
    await check(db, at(1, 2))
    async with db.transaction() as session:
        old = ReportIn(timestamp=at(1, 1, 30), uplink_ok=True, clients=0)
        accepted = await record_report(SqlWifiStore(session), hotspot_id, old, now=at(1, 2), settings=SETTINGS)
    assert accepted.stale and accepted.status == "down"
