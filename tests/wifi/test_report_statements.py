"""One host report over HTTP on SQLite: how often it hands work to SQLite's connection thread
(shared/sqlite_connection.py). Each hand-over waits for a turn of the event loop and wakes a thread;
on the report route they were most of its CPU beyond a bare INSERT route (bench/README.md,
report_cpu.py). Once the report is stored, the status row's update and a transition's writes go with
the COMMIT (`SqlWifiStore.write_the_rest_with_commit`); what a report does must not change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.wifi import handlers
from services.wifi.config import WifiSettings
from services.wifi.handlers_reports import record_report
from services.wifi.models import hotspots, outbox, reports, status_periods
from services.wifi.schemas import ReportIn
from services.wifi.store import SqlWifiStore
from shared.db import Database
from tests.support.databases import migrated
from tests.support.hand_overs import record_hand_overs
from tests.wifi.sites import site

T0 = datetime(2031, 5, 4, 9, 0, tzinfo=UTC)
SETTINGS = WifiSettings(heartbeat_timeout_s=180, confirm_reports=1)
BEGIN, STATEMENT, COMMIT = "_execute_and_fetch", "_execute_and_fetch", "_run_and_commit"


@pytest.fixture
async def db(tmp_path):
    async with migrated("wifi", f"sqlite:///{tmp_path / 'wifi.sqlite3'}") as database:
        yield database


async def report(db: Database, hotspot: tuple[str, str], seconds: int, uplink_ok: bool = True):
    hotspot_id, token = hotspot
    body = ReportIn(timestamp=T0 + timedelta(seconds=seconds), uplink_ok=uplink_ok, clients=2, backhaul_mbps=80.0)
    now = T0 + timedelta(seconds=seconds + 1)
    async with db.transaction() as session:
        return await record_report(SqlWifiStore(session), hotspot_id, body, now=now, settings=SETTINGS, token=token)


async def scalar(db: Database, query):
    async with db.reading() as session:
        return (await session.execute(query)).scalar_one()


async def test_a_steady_report_hands_over_four_times_and_its_status_row_is_written_with_the_commit(db, monkeypatch):
    async with db.transaction() as session:
        hotspot = await handlers.create_hotspot(SqlWifiStore(session), site("Rathaus"), T0 - timedelta(hours=1))
    await report(db, hotspot, 0)  # up

    calls = record_hand_overs(monkeypatch)
    outcome = await report(db, hotspot, 60)
    monkeypatch.undo()

    assert calls == [BEGIN, STATEMENT, STATEMENT, COMMIT], calls  # BEGIN, the state, the report's INSERT
    assert (outcome.duplicate, outcome.stale, outcome.status) == (False, False, "up")
    assert await scalar(db, select(hotspots.c.last_report_at).where(hotspots.c.id == hotspot[0])) == T0 + timedelta(
        seconds=60
    )
    assert await scalar(db, select(func.count()).select_from(reports)) == 2


async def test_a_report_that_changes_the_status_writes_its_period_and_event_with_the_commit(db, monkeypatch):
    async with db.transaction() as session:
        hotspot = await handlers.create_hotspot(SqlWifiStore(session), site("Rathaus"), T0 - timedelta(hours=1))
    await report(db, hotspot, 0)
    staged = await scalar(db, select(func.count()).select_from(outbox))

    calls = record_hand_overs(monkeypatch)
    await report(db, hotspot, 60, uplink_ok=False)
    monkeypatch.undo()

    assert calls[-1] == COMMIT and calls.count(COMMIT) == 1, calls
    assert await scalar(db, select(hotspots.c.status).where(hotspots.c.id == hotspot[0])) == "degraded"
    open_period = select(status_periods.c.status).where(
        status_periods.c.hotspot_id == hotspot[0], status_periods.c.ended_at.is_(None)
    )
    assert await scalar(db, open_period) == "degraded"
    assert await scalar(db, select(func.count()).select_from(status_periods)) == 2  # the "up" one ended
    assert await scalar(db, select(func.count()).select_from(outbox)) == staged + 1


async def test_a_repeated_report_is_still_told_apart_after_a_report_whose_writes_waited(db):
    async with db.transaction() as session:
        hotspot = await handlers.create_hotspot(SqlWifiStore(session), site("Rathaus"), T0 - timedelta(hours=1))
    await report(db, hotspot, 0)
    hotspot_id, token = hotspot
    body = ReportIn(timestamp=T0, uplink_ok=True, clients=2, backhaul_mbps=80.0)
    async with db.transaction() as session:  # a new report, then the first one again, in one transaction
        store = SqlWifiStore(session)
        later = ReportIn(timestamp=T0 + timedelta(seconds=30), uplink_ok=True, clients=2, backhaul_mbps=80.0)
        now = T0 + timedelta(seconds=31)
        fresh = await record_report(store, hotspot_id, later, now=now, settings=SETTINGS, token=token)
        repeated = await record_report(store, hotspot_id, body, now=now, settings=SETTINGS, token=token)
    assert (fresh.duplicate, repeated.duplicate) == (False, True)
    assert await scalar(db, select(func.count()).select_from(reports)) == 2
