"""What the WLAN console reads and changes beyond the API's own, on the real databases (SQLite and
PostgreSQL), the clock passed in: reports page by page, the coming maintenance of every site, and
cancelling a window in the SQL store."""

from __future__ import annotations

from datetime import timedelta

from services.wifi import handlers, queries
from services.wifi.store import SqlWifiStore
from tests.wifi.test_uptime import SETTINGS, SITE, at, report


async def test_reports_come_newest_first_and_the_next_page_continues_before_the_last_one_shown(db):
    start = at(3, 10)
    async with db.transaction() as session:
        hotspot_id, _ = await handlers.create_hotspot(SqlWifiStore(session), SITE, start - timedelta(hours=1))
    for minute in range(7):
        await report(db, hotspot_id, start + timedelta(minutes=minute))
    async with db.reading() as session:
        first = await queries.recent_reports(session, hotspot_id, limit=3)
        second = await queries.recent_reports(session, hotspot_id, before=first[-1]["reported_at"], limit=3)
        last = await queries.recent_reports(session, hotspot_id, before=second[-1]["reported_at"], limit=3)
    minutes = [
        [int((row["reported_at"] - start).total_seconds() // 60) for row in page] for page in (first, second, last)
    ]
    assert minutes == [[6, 5, 4], [3, 2, 1], [0]]
    assert first[0]["via"] == "http" and first[0]["clients"] == 3 and first[0]["uplink_ok"] is True


async def test_the_coming_maintenance_of_every_site_is_named_by_site_and_a_cancelled_one_leaves_it(db):
    now = at(3, 10)
    async with db.transaction() as session:
        store = SqlWifiStore(session)
        kirchplatz, _ = await handlers.create_hotspot(store, SITE, now - timedelta(days=1))
        pferdemarkt, _ = await handlers.create_hotspot(store, {**SITE, "site_name": "Pferdemarkt"}, now)
    await report(db, kirchplatz, now - timedelta(seconds=30))
    plans = [
        (kirchplatz, now - timedelta(hours=3), now - timedelta(hours=2), "vorbei"),
        (kirchplatz, now - timedelta(minutes=5), now + timedelta(hours=1), "läuft"),
        (pferdemarkt, now + timedelta(days=2), now + timedelta(days=2, hours=1), "kommt"),
    ]
    windows = {}
    for hotspot_id, starts, ends, note in plans:
        async with db.transaction() as session:
            store = SqlWifiStore(session)
            windows[note] = await handlers.add_maintenance(
                store, hotspot_id, starts, ends, note, now=now, settings=SETTINGS
            )
    async with db.reading() as session:
        coming = await queries.coming_maintenance(session, now)
    assert [(window["site_name"], window["note"]) for window in coming] == [
        ("Kirchplatz", "läuft"),
        ("Pferdemarkt", "kommt"),
    ]

    later = now + timedelta(minutes=1)
    for note in ("läuft", "kommt"):
        hotspot_id = windows[note]["hotspot_id"]
        async with db.transaction() as session:
            store = SqlWifiStore(session)
            await handlers.cancel_maintenance(store, hotspot_id, windows[note]["id"], now=later, settings=SETTINGS)
    async with db.reading() as session:
        assert await queries.coming_maintenance(session, later) == []
        kept = await queries.list_maintenance(session, kirchplatz)
        assert [(window["note"], window["ends_at"]) for window in kept][-1] == ("läuft", later)  # ended, kept
        assert await queries.list_maintenance(session, pferdemarkt) == []  # never began: gone
        assert (await queries.get_hotspot(session, kirchplatz))["status"] == "up"  # resumed at once
