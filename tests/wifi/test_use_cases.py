"""The hotspot status machine through the use cases (handlers*.py) on an in-memory store: no database,
no NATS, the clock passed in. The same rules against real databases: test_uptime.py, test_reports_batch.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from services.wifi import handlers
from services.wifi.config import WifiSettings
from services.wifi.handlers_reports import WrongCredential, record_report, record_reports
from services.wifi.handlers_status import check_hotspots
from services.wifi.ports import HostReport
from shared.catalog import (
    HotspotIncidentOpened,
    HotspotIncidentResolved,
    HotspotMonthlyReport,
    HotspotOutageAnnounced,
    HotspotRecoveryAnnounced,
    HotspotRegistered,
    HotspotRenamed,
    HotspotStatusChanged,
)
from shared.errors import Conflict, Invalid, NotFound
from tests.wifi.fakes import FakeWifiStore

SETTINGS = WifiSettings(
    heartbeat_timeout_s=180, confirm_reports=3, min_backhaul_mbps=30, incident_min_sites=2, max_clock_skew_s=300
)
T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Report:
    """A plain report command (what schemas.ReportIn carries)."""

    timestamp: datetime
    uplink_ok: bool = True
    clients: int = 3
    backhaul_mbps: float | None = 100.0
    notes: str | None = None
    hotspot_id: str | None = None


def seconds(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


async def new_site(store: FakeWifiStore, name: str = "Kirchplatz") -> tuple[str, str]:
    return await handlers.create_hotspot(store, {"site_name": name}, T0 - timedelta(hours=1))


async def report(store: FakeWifiStore, hotspot_id: str, at: float, **fields):
    return await record_report(store, hotspot_id, Report(seconds(at), **fields), now=seconds(at), settings=SETTINGS)


def changes(store: FakeWifiStore, hotspot_id: str | None = None) -> list[tuple]:
    return [
        (e.previous, e.status, e.since)
        for e in store.events
        if isinstance(e, HotspotStatusChanged) and hotspot_id in (None, e.hotspot_id)
    ]


async def test_registering_a_hotspot_stages_its_event_and_keeps_only_the_hash_of_its_credential():
    store = FakeWifiStore()
    hotspot_id, token = await new_site(store)
    assert token.startswith("hbh_") and store.hotspots[hotspot_id].token_hash not in ("", token)
    assert [type(e) for e in store.events] == [HotspotRegistered]


async def test_the_first_report_sets_the_status_at_once_and_a_change_needs_three_reports_in_a_row():
    store = FakeWifiStore()
    hotspot_id, _ = await new_site(store)
    assert (await report(store, hotspot_id, 0)).status == "up"
    assert (await report(store, hotspot_id, 10, uplink_ok=False)).status == "up"
    assert (await report(store, hotspot_id, 20, backhaul_mbps=12.0)).status == "up"  # slow backhaul: degraded too
    assert (await report(store, hotspot_id, 30)).status == "up"  # an up report breaks the streak
    for at in (40, 50):
        assert (await report(store, hotspot_id, at, uplink_ok=False)).status == "up"
    assert (await report(store, hotspot_id, 60, uplink_ok=False)).status == "degraded"
    assert changes(store) == [(None, "up", seconds(0)), ("up", "degraded", seconds(60))]
    assert store.periods_of[hotspot_id] == [["up", seconds(0), seconds(60)], ["degraded", seconds(60), None]]


async def test_a_repeated_a_stale_and_a_future_report_change_nothing_or_are_refused():
    store = FakeWifiStore()
    hotspot_id, _ = await new_site(store)
    await report(store, hotspot_id, 100)
    repeated = await report(store, hotspot_id, 100, uplink_ok=False)
    assert repeated.duplicate and not repeated.stale
    older = await record_report(store, hotspot_id, Report(seconds(50)), now=seconds(101), settings=SETTINGS)
    assert older.stale and not older.duplicate and len(store.reports) == 2
    with pytest.raises(Invalid, match="future"):
        await record_report(store, hotspot_id, Report(seconds(1000)), now=seconds(101), settings=SETTINGS)
    with pytest.raises(NotFound):
        await report(store, "no-such-hotspot", 200)
    assert len(changes(store)) == 1


async def test_silence_for_the_heartbeat_timeout_is_down_from_the_last_report_and_a_report_ends_it():
    store = FakeWifiStore()
    hotspot_id, _ = await new_site(store)
    await report(store, hotspot_id, 0)
    await check_hotspots(store, now=seconds(179), settings=SETTINGS)
    assert store.hotspots[hotspot_id].state.status == "up"
    await check_hotspots(store, now=seconds(180), settings=SETTINGS)
    assert store.hotspots[hotspot_id].state.status == "down"
    assert (await report(store, hotspot_id, 400, uplink_ok=False)).status == "degraded"  # at once, no tolerance
    assert changes(store) == [(None, "up", seconds(0)), ("up", "down", seconds(0)), ("down", "degraded", seconds(400))]


async def test_a_maintenance_window_holds_the_status_then_the_hotspot_resumes_or_is_down_from_its_end():
    store = FakeWifiStore()
    quiet, _ = await new_site(store, "Kirchplatz")
    busy, _ = await new_site(store, "Pferdemarkt")
    for hotspot_id in (quiet, busy):
        await report(store, hotspot_id, 0)
        await handlers.add_maintenance(
            store, hotspot_id, seconds(-60), seconds(600), "Firmware", now=seconds(1), settings=SETTINGS
        )
    assert [store.hotspots[h].state.status for h in (quiet, busy)] == ["maintenance", "maintenance"]
    for at in range(100, 600, 100):
        assert (await report(store, busy, at, uplink_ok=False)).status == "maintenance"  # kept, no alarm
    await check_hotspots(store, now=seconds(500), settings=SETTINGS)  # quiet is silent, but in maintenance
    assert store.hotspots[quiet].state.status == "maintenance"
    await check_hotspots(store, now=seconds(610), settings=SETTINGS)
    # the window began before the status did: maintenance is dated from the status's start, not earlier
    assert changes(store, quiet)[1:] == [("up", "maintenance", seconds(0)), ("maintenance", "down", seconds(600))]
    assert changes(store, busy)[-1] == ("maintenance", "degraded", seconds(600))  # its last observed status
    with pytest.raises(Invalid, match="after"):
        await handlers.add_maintenance(store, busy, seconds(9), seconds(9), "", now=seconds(1), settings=SETTINGS)


async def test_cancelling_drops_a_window_to_come_and_ends_a_running_one_now_but_leaves_a_past_one():
    store = FakeWifiStore()
    hotspot_id, _ = await new_site(store)
    await report(store, hotspot_id, 0)
    plan = handlers.add_maintenance
    coming = await plan(store, hotspot_id, seconds(900), seconds(1200), "", now=seconds(10), settings=SETTINGS)
    running = await plan(store, hotspot_id, seconds(5), seconds(600), "", now=seconds(10), settings=SETTINGS)
    assert store.hotspots[hotspot_id].state.status == "maintenance"
    await handlers.cancel_maintenance(store, hotspot_id, coming["id"], now=seconds(20), settings=SETTINGS)
    assert [window["id"] for window in store.windows] == [running["id"]]
    await handlers.cancel_maintenance(store, hotspot_id, running["id"], now=seconds(30), settings=SETTINGS)
    assert store.windows[0]["ends_at"] == seconds(30)  # its time so far stays maintenance
    assert changes(store)[-1] == ("maintenance", "up", seconds(30))  # resumed at once, not at the next check
    with pytest.raises(Conflict):
        await handlers.cancel_maintenance(store, hotspot_id, running["id"], now=seconds(40), settings=SETTINGS)
    with pytest.raises(NotFound):
        await handlers.cancel_maintenance(store, "elsewhere", running["id"], now=seconds(40), settings=SETTINGS)


async def test_sites_silent_within_the_window_are_one_incident_told_once_and_resolved_when_all_are_back():
    store = FakeWifiStore()
    sites = [(await new_site(store, name))[0] for name in ("Kirchplatz", "Pferdemarkt", "Hansastraße")]
    for index, hotspot_id in enumerate(sites):
        await report(store, hotspot_id, index * 10)
    for now in (185, 200, 300, 479):  # all three down by 200; the window (300 s from 185) still open at 479
        await check_hotspots(store, now=seconds(now), settings=SETTINGS)
    assert not [e for e in store.events if isinstance(e, HotspotIncidentOpened | HotspotOutageAnnounced)]
    await check_hotspots(store, now=seconds(485), settings=SETTINGS)
    await check_hotspots(store, now=seconds(600), settings=SETTINGS)  # still silent: still one incident
    opened = [e for e in store.events if isinstance(e, HotspotIncidentOpened)]
    assert len(opened) == 1 and opened[0].hotspot_ids == sorted(sites) and opened[0].since == seconds(0)
    assert sorted(opened[0].site_names.values()) == ["Hansastraße", "Kirchplatz", "Pferdemarkt"]
    assert not [e for e in store.events if isinstance(e, HotspotOutageAnnounced)]
    await report(store, sites[1], 610)
    await check_hotspots(store, now=seconds(611), settings=SETTINGS)
    assert not [e for e in store.events if isinstance(e, HotspotIncidentResolved)]  # two still down
    await report(store, sites[0], 620)
    await report(store, sites[2], 630)
    await check_hotspots(store, now=seconds(631), settings=SETTINGS)
    resolved = [e for e in store.events if isinstance(e, HotspotIncidentResolved)]
    assert [(r.incident_id, r.opened_at, r.resolved_at, r.hotspot_ids) for r in resolved] == [
        (opened[0].incident_id, seconds(0), seconds(631), sorted(sites))
    ]
    assert not [e for e in store.events if isinstance(e, HotspotRecoveryAnnounced)]


async def test_a_site_down_alone_is_announced_after_the_window_and_its_recovery_too_but_a_blip_is_not():
    store = FakeWifiStore()
    alone, _ = await new_site(store)
    await report(store, alone, 0)
    await check_hotspots(store, now=seconds(200), settings=SETTINGS)
    other, _ = await new_site(store, "Pferdemarkt")
    await handlers.add_maintenance(store, other, seconds(0), seconds(900), "", now=seconds(201), settings=SETTINGS)
    await check_hotspots(store, now=seconds(499), settings=SETTINGS)
    assert not [e for e in store.events if isinstance(e, HotspotOutageAnnounced)]
    await check_hotspots(store, now=seconds(500), settings=SETTINGS)
    assert store.incidents == []  # fewer than WIFI_INCIDENT_MIN_SITES; maintenance does not count
    (announced,) = [e for e in store.events if isinstance(e, HotspotOutageAnnounced)]
    assert (announced.hotspot_id, announced.site_name, announced.since) == (alone, "Kirchplatz", seconds(0))
    await report(store, alone, 600)
    await check_hotspots(store, now=seconds(601), settings=SETTINGS)
    await check_hotspots(store, now=seconds(602), settings=SETTINGS)
    (recovered,) = [e for e in store.events if isinstance(e, HotspotRecoveryAnnounced)]
    assert (recovered.outage_id, recovered.recovered_at) == (announced.outage_id, seconds(601))
    await check_hotspots(store, now=seconds(800), settings=SETTINGS)  # silent again from 600: down at 800
    await report(store, alone, 850)  # back within the window: a blip the office is not told of
    for now in (851, 1200):
        await check_hotspots(store, now=seconds(now), settings=SETTINGS)
    assert len([e for e in store.events if isinstance(e, HotspotOutageAnnounced)]) == 1


async def test_renaming_a_site_is_an_event_and_later_status_events_carry_the_new_name():
    store = FakeWifiStore()
    hotspot_id, _ = await new_site(store, "Kirchplatz")
    await handlers.update_hotspot(store, hotspot_id, {"host_business": "Café"})
    await handlers.update_hotspot(store, hotspot_id, {"site_name": "Kirchplatz (Cyriakus)"})
    renamed = [e for e in store.events if isinstance(e, HotspotRenamed)]
    assert [(e.site_name, e.previous_site_name) for e in renamed] == [("Kirchplatz (Cyriakus)", "Kirchplatz")]
    await report(store, hotspot_id, 0)
    (changed,) = [e for e in store.events if isinstance(e, HotspotStatusChanged)]
    assert changed.site_name == "Kirchplatz (Cyriakus)"


async def test_a_batch_of_host_reports_ends_where_the_same_reports_one_by_one_end():
    one_by_one, batched = FakeWifiStore(), FakeWifiStore()
    plan = [(0, True), (10, False), (20, False), (20, True), (30, False), (40, True)]
    for store in (one_by_one, batched):
        hotspot_id, token = await handlers.create_hotspot(store, {"site_name": "Kirchplatz"}, T0)
        reports = [HostReport(hotspot_id, Report(seconds(at), uplink_ok=ok), token) for at, ok in plan]
        if store is batched:
            await record_reports(store, reports, now=seconds(50), settings=SETTINGS)
        else:
            for item in reports:
                await record_report(
                    store, hotspot_id, item.report, now=seconds(50), settings=SETTINGS, token=item.token
                )
    assert changes(batched) == changes(one_by_one) == [(None, "up", seconds(0)), ("up", "degraded", seconds(30))]
    assert len(batched.reports) == len(one_by_one.reports) == 5  # one duplicate


async def test_a_batch_with_a_foreign_credential_is_refused_whole():
    store = FakeWifiStore()
    (a, token_a), (b, _) = await new_site(store, "A"), await new_site(store, "B")
    batch = [HostReport(a, Report(seconds(0)), token_a), HostReport(b, Report(seconds(0)), token_a)]
    with pytest.raises(WrongCredential, match="not valid for hotspot"):
        await record_reports(store, batch, now=seconds(1), settings=SETTINGS)
    assert store.reports == {}


async def test_the_month_report_goes_out_once_after_the_month_with_every_hotspot_that_existed():
    store = FakeWifiStore()
    hotspot_id, _ = await new_site(store)
    await report(store, hotspot_id, 0)
    await report(store, hotspot_id, 3600)  # up for an hour, then silent: down from then on
    april = datetime(2025, 3, 31, 22, 1, tzinfo=UTC)  # 1 April, 00:01 in Bottrop
    await check_hotspots(store, now=april, settings=SETTINGS)
    await check_hotspots(store, now=april + timedelta(minutes=1), settings=SETTINGS)
    monthly = [e for e in store.events if isinstance(e, HotspotMonthlyReport)]
    assert len(monthly) == 1 and monthly[0].month == "2025-03"
    (entry,) = monthly[0].hotspots
    assert entry.hotspot_id == hotspot_id and entry.site_name == "Kirchplatz"
    march_start, march_end = datetime(2025, 2, 28, 23, tzinfo=UTC), datetime(2025, 3, 31, 22, tzinfo=UTC)
    down_s = (march_end - seconds(3600)).total_seconds()
    assert (entry.up_s, entry.down_s, entry.degraded_s, entry.maintenance_s) == (3600, down_s, 0, 0)
    assert entry.not_monitored_s == (T0 - march_start).total_seconds()
    assert entry.uptime_percent == round(100 * 3600 / (3600 + down_s), 4)
