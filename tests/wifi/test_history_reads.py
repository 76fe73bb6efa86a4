"""A month's figures read only the status periods that touch the month, however long the history before
it (services/wifi/store.periods, bench/data_growth.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.wifi import handlers
from services.wifi.models import status_periods
from services.wifi.store import SqlWifiStore, periods
from tests.wifi.test_uptime import SITE

START = datetime(2023, 1, 1, tzinfo=UTC)


async def site_with_history(db, changes: list[datetime]) -> str:
    """A hotspot whose periods follow one another, beginning at each of `changes` (the last one open)."""
    async with db.transaction() as session:
        hotspot_id, _ = await handlers.create_hotspot(SqlWifiStore(session), SITE, START)
        ends = [*changes[1:], None]
        await session.execute(
            status_periods.insert(),
            [
                {
                    "hotspot_id": hotspot_id,
                    "status": "up" if i % 2 == 0 else "down",
                    "reason": "x",
                    "started_at": lo,
                    "ended_at": hi,
                }
                for i, (lo, hi) in enumerate(zip(changes, ends, strict=True))
            ],
        )
    return hotspot_id


async def test_a_month_reads_the_period_going_on_when_it_began_and_those_begun_within_it(db):
    changes = [START + timedelta(hours=7 * i) for i in range(400)]  # about four months, a change each 7 h
    hotspot_id = await site_with_history(db, changes)
    lo, hi = datetime(2023, 3, 1, tzinfo=UTC), datetime(2023, 4, 1, tzinfo=UTC)
    async with db.reading() as session:
        found = await periods(session, hotspot_id, lo, hi)
    expected = [at for i, at in enumerate(changes) if at < hi and (i + 1 == len(changes) or changes[i + 1] > lo)]
    assert [period.start for period in found] == expected
    assert found[0].start < lo < found[0].end and found[-1].start < hi


async def test_a_period_begun_at_the_first_instant_of_the_month_is_the_first_one_read(db):
    lo = datetime(2023, 2, 1, tzinfo=UTC)
    hotspot_id = await site_with_history(db, [START, lo, lo + timedelta(days=3)])
    async with db.reading() as session:
        found = await periods(session, hotspot_id, lo, lo + timedelta(days=28))
        before = await periods(session, hotspot_id, START - timedelta(days=31), START)
        open_one = await periods(session, hotspot_id, lo + timedelta(days=40), lo + timedelta(days=41))
    assert [period.start for period in found] == [lo, lo + timedelta(days=3)]
    assert before == []  # nothing was going on before the first period
    assert [(period.start, period.end) for period in open_one] == [(lo + timedelta(days=3), None)]
