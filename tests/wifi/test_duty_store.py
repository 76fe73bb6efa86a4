"""The duty's start day and figures through the real store and read side, on SQLite and PostgreSQL: the
`duty_start` column (migration 0005) keeps a date, and a site's figures come from its status periods."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.wifi import handlers, queries_duty
from services.wifi.handlers_duty import set_duty_start
from services.wifi.models import status_periods
from services.wifi.store import SqlWifiStore
from tests.wifi.test_uptime import SITE

BERLIN = ZoneInfo("Europe/Berlin")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


async def test_a_start_set_by_the_office_is_kept_and_the_figures_come_from_the_status_periods(db):
    registered = local(2025, 2, 10, 9)
    async with db.transaction() as session:
        store = SqlWifiStore(session)
        hotspot_id, _ = await handlers.create_hotspot(store, SITE, registered)
        await session.execute(
            status_periods.insert(),
            [
                {"hotspot_id": hotspot_id, "status": s, "reason": "x", "started_at": lo, "ended_at": hi}
                for s, lo, hi in (
                    ("up", local(2025, 2, 10, 9), local(2025, 3, 30, 1)),
                    ("down", local(2025, 3, 30, 1), local(2025, 3, 30, 4)),  # 01:00 CET to 04:00 CEST: 2 h
                    ("up", local(2025, 3, 30, 4), None),
                )
            ],
        )
    now = local(2025, 4, 1)
    async with db.reading() as session:
        default = await queries_duty.site_duty(session, hotspot_id, now=now)
    assert (default["start"], default["end"], default["start_set"]) == (date(2025, 2, 10), date(2028, 2, 10), False)
    assert [m["month"] for m in default["months"][:2]] == ["2025-02", "2025-03"] and default["months"][0]["partial"]

    async with db.transaction() as session:
        await set_duty_start(SqlWifiStore(session), hotspot_id, date(2025, 3, 1))
    async with db.reading() as session:
        duty = await queries_duty.site_duty(session, hotspot_id, now=now)
    assert (duty["start"], duty["end"], duty["start_set"], len(duty["months"])) == (
        date(2025, 3, 1),
        date(2028, 3, 1),
        True,
        36,
    )
    march = duty["months"][0]
    assert (march["downtime_min"], march["incidents"], march["not_monitored_s"]) == (120, 1, 0)
    assert march["availability_percent"] == round(100 * 741 / 743, 4)
    assert duty["total"]["downtime_s"] == 2 * 3600 and duty["months"][1]["availability_percent"] is None
