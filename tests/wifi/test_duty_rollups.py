"""The duty report from monthly roll-ups (table `status_months`, written by the periodic check) equals the
report computed from every raw status period, on SQLite and PostgreSQL: over generated history that
crosses month boundaries (a partial first month, the night the clocks go forward, an outage over a
month's end), a late report inside WIFI_MAX_REPORT_AGE_S, and a maintenance window entered afterwards
that reaches back into a month already rolled up."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.wifi import domain_duty, handlers, queries_duty
from services.wifi.config import WifiSettings
from services.wifi.domain import Period
from services.wifi.handlers_reports import record_report
from services.wifi.handlers_status import check_hotspots, roll_up_months
from services.wifi.models import hotspots, status_months, status_periods
from services.wifi.schemas import ReportIn
from services.wifi.store import SqlWifiStore
from tests.wifi.fakes import FakeWifiStore
from tests.wifi.test_uptime import SITE

BERLIN = ZoneInfo("Europe/Berlin")
SETTINGS = WifiSettings(heartbeat_timeout_s=180, max_report_age_s=7 * 86_400)
STATUSES = ("up", "up", "up", "degraded", "down", "maintenance")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def history(first: datetime, last: datetime, seed: int = 19) -> list[tuple[str, datetime, datetime | None]]:
    """Periods one after another from `first`, odd lengths to the microsecond; down over the night from
    28 February to 1 March (a month's end); the last one, `up` from `last`, still going on."""
    rng, at, spans = random.Random(seed), first, []
    outage = (local(2025, 2, 28, 22), local(2025, 3, 1, 3))
    while at < last:
        if at < outage[0] <= at + timedelta(days=2):
            spans += [("up", at, outage[0]), ("down", *outage)]
            at = outage[1]
            continue
        following = min(at + timedelta(hours=rng.uniform(1, 40), microseconds=rng.randrange(10**6)), last)
        spans.append((rng.choice(STATUSES), at, following))
        at = following
    return [*spans, ("up", last, None)]


async def raw_figures(db, hotspot_id: str, now: datetime) -> tuple[list[domain_duty.Figures], domain_duty.Figures]:
    """Each month's figures and the total straight from all the periods (the report before roll-ups)."""
    async with db.reading() as session:
        row = (await session.execute(select(hotspots).where(hotspots.c.id == hotspot_id))).one()
        sp = status_periods.c
        query = select(sp.status, sp.started_at, sp.ended_at).where(sp.hotspot_id == hotspot_id)
        periods = [Period(*found) for found in await session.execute(query.order_by(sp.started_at))]
    start = row.duty_start or domain_duty.default_start(row.created_at)
    lo, hi = domain_duty.duty_bounds(start)
    spans = domain_duty.duty_months(start, domain_duty.duty_end(start))
    return [domain_duty.figures(periods, m_lo, m_hi, now) for _, m_lo, m_hi, _ in spans], domain_duty.figures(
        periods, lo, hi, now
    )


async def assert_report_equals_raw(db, hotspot_id: str, now: datetime) -> None:
    async with db.reading() as session:
        report = await queries_duty.site_duty(session, hotspot_id, now=now)
    months, total = await raw_figures(db, hotspot_id, now)
    assert [{k: v for k, v in m.items() if k not in ("month", "partial")} for m in report["months"]] == [
        queries_duty.figures_view(figures) for figures in months
    ]
    assert report["total"] == queries_duty.figures_view(total)


async def rolled(db, hotspot_id: str) -> list[str]:
    async with db.reading() as session:
        query = select(status_months.c.month).where(status_months.c.hotspot_id == hotspot_id)
        return sorted((await session.execute(query)).scalars())


async def check(db, now: datetime) -> None:
    async with db.transaction() as session:
        await check_hotspots(SqlWifiStore(session), now=now, settings=SETTINGS)


async def send(db, hotspot_id: str, at: datetime, now: datetime, uplink_ok: bool = True) -> None:
    async with db.transaction() as session:
        body = ReportIn(timestamp=at, uplink_ok=uplink_ok, clients=3, backhaul_mbps=100)
        await record_report(SqlWifiStore(session), hotspot_id, body, now=now, settings=SETTINGS)


async def test_the_duty_report_from_monthly_roll_ups_equals_the_one_from_every_status_period(db):
    registered, last_change = local(2025, 1, 10, 9, 17), local(2025, 4, 15, 9)
    async with db.transaction() as session:
        store = SqlWifiStore(session)
        hotspot_id, _ = await handlers.create_hotspot(store, SITE, registered)
        spans = history(registered, last_change)
        await session.execute(
            status_periods.insert(),
            [
                {"hotspot_id": hotspot_id, "status": s, "reason": "x", "started_at": lo, "ended_at": hi}
                for s, lo, hi in spans
            ],
        )
        # the status aggregate as the periods leave it: up since the last change, reporting
        now = local(2025, 6, 20, 12)
        state = dict(status="up", status_since=last_change, last_report_at=now - timedelta(seconds=60), observed="up")
        await session.execute(hotspots.update().where(hotspots.c.id == hotspot_id).values(**state))
    assert len(spans) > 50

    # June is not over by WIFI_MAX_REPORT_AGE_S yet: rolled up to May (January from the duty's first day),
    # June and July from their periods
    await check(db, now)
    assert await rolled(db, hotspot_id) == ["2025-01-10", "2025-02", "2025-03", "2025-04", "2025-05"]
    await assert_report_equals_raw(db, hotspot_id, now)

    # a late report inside the age window is kept and changes nothing; a window entered now that began in
    # May (rolled up) puts the site in maintenance from then: May's roll-up is written again
    await send(db, hotspot_id, now - timedelta(days=2), now)
    async with db.transaction() as session:
        await handlers.add_maintenance(
            SqlWifiStore(session),
            hotspot_id,
            local(2025, 5, 10),
            local(2025, 6, 22),
            "Mast",
            now=now,
            settings=SETTINGS,
        )
    assert await rolled(db, hotspot_id) == ["2025-01-10", "2025-02", "2025-03", "2025-04"]
    await assert_report_equals_raw(db, hotspot_id, now)
    await check(db, now + timedelta(seconds=5))
    assert await rolled(db, hotspot_id) == ["2025-01-10", "2025-02", "2025-03", "2025-04", "2025-05"]
    await assert_report_equals_raw(db, hotspot_id, now + timedelta(seconds=5))

    # the window closes on 22 June with the site silent: down from then over June's end until a report in
    # July; June is rolled up with that outage going on and July counts it as carried over
    later = local(2025, 7, 9, 12)
    await check(db, later)
    await send(db, hotspot_id, later + timedelta(seconds=30), later + timedelta(seconds=31))
    await check(db, later + timedelta(seconds=40))
    assert (await rolled(db, hotspot_id))[-1] == "2025-06"
    async with db.reading() as session:
        report = await queries_duty.site_duty(session, hotspot_id, now=later + timedelta(minutes=1))
    june, july = report["months"][5:7]
    assert (june["incidents"], july["incidents"]) == (1, 1) and june["maintenance_s"] > 0
    await assert_report_equals_raw(db, hotspot_id, later + timedelta(minutes=1))


async def test_a_first_check_over_three_years_rolls_up_twelve_months_a_round_and_each_month_once():
    store = FakeWifiStore()
    await handlers.create_hotspot(store, SITE, local(2022, 1, 5))
    now = local(2025, 1, 20)
    written = [await roll_up_months(store, now, SETTINGS.max_report_age, limit=12) for _ in range(5)]
    assert written == [12, 12, 12, 0, 0]  # January 2022 to December 2024
    assert sorted(month for _, month in store.tallies)[::12] == ["2022-01-05", "2023-01", "2024-01"]
