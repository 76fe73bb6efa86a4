"""WIFI_REPORT_LIMIT is counted in the hotspot's own row, read and written with its state by every report:
over HTTP a report past it is answered 429 (nothing kept), on NATS the reports past it are dropped, and
both count against the same budget. A window opens with the first report after the last one ended.

The use cases run on SQLite and PostgreSQL; the HTTP answer and the NATS drop through real processes
are tests/security/test_abuse.py's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.wifi import handlers
from services.wifi.config import WifiSettings
from services.wifi.domain import HotspotState
from services.wifi.handlers_reports import WrongCredential, record_report, record_reports
from services.wifi.models import hotspots, reports
from services.wifi.ports import HostReport
from services.wifi.schemas import ReportIn
from services.wifi.store import SqlWifiStore
from shared.errors import TooManyRequests
from shared.ratelimit import Limit
from tests.wifi.sites import site

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
LIMIT = Limit("wifi-reports-per-hotspot", 3, 3600)
SETTINGS = WifiSettings(heartbeat_timeout_s=180)


def test_a_hotspot_may_deliver_the_limit_in_its_window_and_a_new_window_starts_afresh():
    state = HotspotState(created_at=T0)
    assert state.take_reports(2, T0, 3, HOUR) == 2
    assert state.take_reports(2, T0 + timedelta(minutes=10), 3, HOUR) == 1  # one place left: one of two
    assert state.take_reports(1, T0 + timedelta(minutes=59), 3, HOUR) == 0
    assert state.window_ends_at(HOUR) == T0 + HOUR
    assert state.take_reports(5, T0 + HOUR, 3, HOUR) == 3  # the window opened by the first report ended
    assert state.window_ends_at(HOUR) == T0 + 2 * HOUR


def test_refused_reports_count_nothing():
    state = HotspotState(created_at=T0)
    assert state.take_reports(3, T0, 3, HOUR) == 3
    for minute in range(1, 50):
        assert state.take_reports(1, T0 + timedelta(minutes=minute), 3, HOUR) == 0
    assert state.reports_in_window == 3 and state.window_opened_at == T0


def body(seconds: float) -> ReportIn:
    return ReportIn(timestamp=T0 + timedelta(seconds=seconds), uplink_ok=True, clients=1, backhaul_mbps=100.0)


async def new_site(db, name: str) -> tuple[str, str]:
    async with db.transaction() as session:
        return await handlers.create_hotspot(SqlWifiStore(session), site(name), T0 - HOUR)


async def over_http(db, hotspot_id: str, token: str, seconds: float, now: datetime) -> None:
    async with db.transaction() as session:
        store = SqlWifiStore(session)
        await record_report(store, hotspot_id, body(seconds), now=now, settings=SETTINGS, token=token, limit=LIMIT)


async def over_nats(db, hotspot_id: str, token: str, seconds: list[float], now: datetime) -> None:
    async with db.transaction() as session:
        batch = [HostReport(hotspot_id, body(second), token) for second in seconds]
        await record_reports(SqlWifiStore(session), batch, now=now, settings=SETTINGS, limit=LIMIT)


async def stored(db, hotspot_id: str) -> tuple[int, int]:
    """(report rows kept, reports counted in the hotspot's window)."""
    async with db.reading() as session:
        kept = (await session.execute(select(reports.c.id).where(reports.c.hotspot_id == hotspot_id))).all()
        row = (await session.execute(select(hotspots).where(hotspots.c.id == hotspot_id))).one()
    return len(kept), row.reports_in_window


async def test_a_report_over_the_limit_over_http_is_refused_with_the_wait_until_the_window_ends(db):
    hotspot_id, token = await new_site(db, "Pferdemarkt")
    for n in range(3):
        await over_http(db, hotspot_id, token, n, T0 + timedelta(seconds=n))
    with pytest.raises(TooManyRequests, match="wifi-reports-per-hotspot: 3 per 3600 s") as refused:
        await over_http(db, hotspot_id, token, 10, T0 + timedelta(minutes=15))
    assert refused.value.retry_after_s == pytest.approx(45 * 60)
    assert await stored(db, hotspot_id) == (3, 3)

    await over_http(db, hotspot_id, token, 3600, T0 + HOUR)  # a new window
    assert await stored(db, hotspot_id) == (4, 1)


async def test_reports_over_the_limit_on_nats_are_dropped_and_count_against_the_same_budget(db):
    hotspot_id, token = await new_site(db, "Gleiwitzer Platz")
    await over_http(db, hotspot_id, token, 0, T0)
    await over_nats(db, hotspot_id, token, [1, 2, 3, 4], T0 + timedelta(seconds=5))
    assert await stored(db, hotspot_id) == (3, 3)  # the first two of the batch: the limit is 3
    with pytest.raises(TooManyRequests):
        await over_http(db, hotspot_id, token, 5, T0 + timedelta(seconds=6))
    await over_nats(db, hotspot_id, token, [6, 7], T0 + timedelta(seconds=7))
    assert await stored(db, hotspot_id) == (3, 3)


async def test_nobody_but_the_host_spends_its_budget(db):
    hotspot_id, token = await new_site(db, "Altmarkt")
    other_id, other_token = await new_site(db, "Berliner Platz")
    for n in range(5):
        with pytest.raises(WrongCredential):
            await over_http(db, hotspot_id, other_token, n, T0)
    for n in range(3):
        await over_http(db, hotspot_id, token, n, T0)
    assert await stored(db, hotspot_id) == (3, 3)
    assert await stored(db, other_id) == (0, 0)
