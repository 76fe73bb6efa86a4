"""The status machine and the availability arithmetic, with time passed in: exact and instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.wifi.domain import (
    HotspotState,
    Observation,
    Outage,
    Period,
    availability,
    decide_outages,
    month_bounds,
    month_days,
    observe,
    previous_month,
)

T0 = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
GOOD, BAD = Observation("up", "ok"), Observation("degraded", "uplink")
TIMEOUT = timedelta(seconds=180)


def reported(state, seen, minute, maintenance=False, confirm=3):
    return state.report(seen, T0 + timedelta(minutes=minute), in_maintenance=maintenance, confirm=confirm)


def tick(state, minute, start=None, end=None):
    return state.tick(T0 + timedelta(minutes=minute), timeout=TIMEOUT, window_start=start, window_end=end)


def test_the_first_report_brings_a_new_hotspot_up():
    state = HotspotState(created_at=T0)
    transition = reported(state, GOOD, 1)
    assert (transition.previous, transition.status, transition.since) == (None, "up", T0 + timedelta(minutes=1))


def test_a_slow_backhaul_or_a_failing_uplink_is_observed_as_degraded():
    assert observe(True, 100, 30).status == "up"
    assert observe(True, None, 30).status == "up"
    assert observe(True, 12.5, 30).status == "degraded"
    assert observe(False, 100, 30).status == "degraded"


def test_flapping_between_good_and_bad_reports_within_the_tolerance_changes_nothing():
    state = HotspotState(created_at=T0)
    reported(state, GOOD, 0)
    transitions = [reported(state, seen, minute) for minute, seen in enumerate([BAD, GOOD, BAD, BAD, GOOD, BAD], 1)]
    assert transitions == [None] * 6 and state.status == "up"


def test_three_bad_reports_in_a_row_make_it_degraded_and_three_good_ones_bring_it_back():
    state = HotspotState(created_at=T0)
    reported(state, GOOD, 0)
    assert [reported(state, BAD, m) for m in (1, 2)] == [None, None]
    assert reported(state, BAD, 3).status == "degraded"
    assert [reported(state, GOOD, m) for m in (4, 5)] == [None, None]
    back = reported(state, GOOD, 6)
    assert (back.previous, back.status) == ("degraded", "up")


def test_silence_for_the_timeout_means_down_since_the_last_report_and_the_next_report_means_up():
    state = HotspotState(created_at=T0)
    reported(state, GOOD, 0)
    assert tick(state, 2) is None
    down = tick(state, 3)
    assert (down.previous, down.status, down.since) == ("up", "down", T0)
    assert tick(state, 10) is None  # no repeated alarm
    up = reported(state, GOOD, 11)
    assert (up.previous, up.status) == ("down", "up")


def test_a_hotspot_that_never_reports_is_down_after_the_timeout_since_its_creation():
    state = HotspotState(created_at=T0)
    assert tick(state, 2) is None
    assert tick(state, 3).status == "down"


def test_maintenance_suppresses_the_alarm_and_a_silent_hotspot_is_down_when_the_window_closes():
    state = HotspotState(created_at=T0)
    reported(state, GOOD, 0)
    start, end = T0 + timedelta(minutes=1), T0 + timedelta(minutes=30)
    entered = tick(state, 1, start=start)
    assert (entered.status, entered.since) == ("maintenance", start)
    assert tick(state, 20, start=start) is None  # silent for 19 minutes: no alarm inside the window
    left = tick(state, 31, end=end)
    assert (left.previous, left.status, left.since) == ("maintenance", "down", end)


def test_a_hotspot_that_kept_reporting_through_maintenance_resumes_its_observed_status():
    state = HotspotState(created_at=T0)
    reported(state, GOOD, 0)
    start, end = T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)
    tick(state, 1, start=start)
    assert reported(state, BAD, 4, maintenance=True) is None
    resumed = tick(state, 6, end=end)
    assert (resumed.status, resumed.since) == ("degraded", end)


def test_sites_failing_within_the_window_are_one_incident_and_a_site_failing_later_is_alone():
    window = timedelta(minutes=5)
    six = [Outage(f"o{i}", f"h{i}", T0, T0 + timedelta(seconds=10 * i)) for i in range(6)]
    late = Outage("o9", "h9", T0, T0 + timedelta(minutes=6))
    assert decide_outages([*six, late], T0 + timedelta(minutes=4), window, minimum=2) == []  # window still open
    (group,) = decide_outages([*six, late], T0 + timedelta(minutes=5), window, minimum=2)
    assert group.incident and [o.hotspot_id for o in group.alerted] == [f"h{i}" for i in range(6)]
    (alone,) = decide_outages([late], T0 + timedelta(minutes=11), window, minimum=2)
    assert not alone.incident and alone.alerted == [late]
    back = Outage("o7", "h7", T0, T0 + timedelta(seconds=5), ended_at=T0 + timedelta(seconds=60))
    (one_left,) = decide_outages([six[0], back], T0 + timedelta(minutes=6), window, minimum=2)
    assert not one_left.incident and one_left.alerted == [six[0]] and one_left.brief == [back]


def test_uptime_counts_degraded_as_available_and_excludes_maintenance_and_unmonitored_time():
    start, end = T0, T0 + timedelta(hours=10)
    periods = [
        Period("up", T0 + timedelta(hours=1), T0 + timedelta(hours=4)),
        Period("down", T0 + timedelta(hours=4), T0 + timedelta(hours=5)),
        Period("maintenance", T0 + timedelta(hours=5), T0 + timedelta(hours=7)),
        Period("degraded", T0 + timedelta(hours=7), None),
    ]
    result = availability(periods, start, end, now=T0 + timedelta(hours=9))
    assert result.seconds == {"up": 3 * 3600, "degraded": 2 * 3600, "down": 3600, "maintenance": 2 * 3600}
    assert result.not_monitored_s == 2 * 3600  # the first hour and the hour still to come
    assert result.uptime_percent == round(100 * 5 / 6, 4)


def test_months_and_days_follow_bottrop_local_time_including_the_change_to_summer_time():
    start, end = month_bounds("2025-03")
    assert start == datetime(2025, 2, 28, 23, tzinfo=UTC) and end == datetime(2025, 3, 31, 22, tzinfo=UTC)
    days = month_days("2025-03")
    assert len(days) == 31
    assert (days[29][2] - days[29][1]) == timedelta(hours=23)  # 30 March: the clocks go forward
    assert month_bounds("2025-12")[1] == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert previous_month(datetime(2025, 1, 1, 0, 30, tzinfo=UTC)) == "2024-12"
