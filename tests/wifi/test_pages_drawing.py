"""The map and the chart of the WLAN pages as geometry (pages_map.py, pages_chart.py), and the reason
codes the pages translate (domain.reason_code): pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

from hallobot.demo.wifi import SITES
from services.wifi import domain, handlers_status, pages_chart, pages_map
from services.wifi.pages import REASONS, in_incident


def demo_sites() -> list[dict]:
    return [
        {"id": str(number), "site_name": name, "latitude": lat, "longitude": lon}
        for number, (name, _host, _address, lat, lon, _placement) in enumerate(SITES)
    ]


def box(marker: pages_map.Marker) -> tuple[float, float, float, float]:
    top = marker.label_y - 13
    return marker.label_x, top, marker.label_x + marker.label_width, top + marker.label_height


def test_the_map_keeps_north_up_east_right_and_every_site_and_label_inside_the_frame():
    sites = demo_sites()
    drawn = pages_map.layout(sites, {site["id"]: "in Betrieb" for site in sites})
    where = {marker.site["site_name"]: (marker.x, marker.y) for marker in drawn.markers}
    assert where["Kulturkirche"][1] < where["Gladbecker Straße"][1]  # further north: higher up
    assert where["Pferdemarkt"][0] < where["Gladbecker Straße"][0]  # further east: more to the right
    for marker in drawn.markers:
        left, top, right, bottom = box(marker)
        assert 0 <= marker.x <= drawn.width and 0 <= marker.y <= drawn.height
        assert left >= 0 and right <= drawn.width and top >= 0 and bottom <= drawn.height
        assert marker.lines[-1] == "in Betrieb"


def test_labels_do_not_overlap_each_other_even_for_sites_close_together():
    sites = [*demo_sites(), {"id": "x", "site_name": "Gleich daneben", "latitude": 51.5226, "longitude": 6.9246}]
    drawn = pages_map.layout(sites, {})
    for one, other in combinations(drawn.markers, 2):
        assert not pages_map._overlap(box(one), box(other)), (one.lines, other.lines)


def test_a_long_name_is_wrapped_and_one_site_alone_sits_in_the_middle():
    assert pages_map.wrapped("Hansastraße (Mensingbrunnen)") == ["Hansastraße", "(Mensingbrunnen)"]
    alone = pages_map.layout([{"id": "a", "site_name": "Kirchplatz", "latitude": 51.5, "longitude": 6.9}], {})
    assert (alone.markers[0].x, alone.markers[0].y) == (alone.width / 2, alone.height / 2)
    assert pages_map.layout([], {}).markers == []


def test_the_scale_bar_names_a_round_distance_drawn_to_scale():
    drawn = pages_map.layout(demo_sites(), {})
    assert drawn.scale_metres in pages_map.NICE_METRES and 30 < drawn.scale_length < 150


def test_the_chart_shows_the_months_since_the_site_was_registered_at_most_twelve():
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert pages_chart.months_since(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), now) == ["2026-11"]  # Berlin: Nov
    assert pages_chart.months_since(datetime(2026, 9, 1, tzinfo=UTC), now) == ["2026-09", "2026-10", "2026-11"]
    longer = pages_chart.months_since(datetime(2024, 1, 1, tzinfo=UTC), now)
    assert len(longer) == 12 and longer[0] == "2025-12" and longer[-1] == "2026-11"


def test_a_bar_is_as_high_as_the_availability_and_a_month_without_data_has_none():
    months = [
        {"month": "2026-10", "total": {"uptime_percent": 100.0}},
        {"month": "2026-11", "total": {"uptime_percent": 50.0}},
        {"month": "2026-12", "total": {"uptime_percent": None}},
    ]
    full, half, empty = pages_chart.chart(months).bars
    assert half.height * 2 == full.height and full.y + full.height == half.y + half.height
    assert empty.uptime_percent is None and empty.height == 0


def test_every_reason_the_service_writes_has_a_code_the_pages_translate():
    written = [
        domain.observe(True, 100, 30).reason,
        domain.observe(False, 100, 30).reason,
        domain.observe(True, 3, 30).reason,
        handlers_status.INCIDENT_REASON,
        "Wartung / maintenance",
        "Wartungsfenster / maintenance window",
        "Wartung beendet / maintenance over",
        "keine Meldung seit 180 s / no report for 180 s",
    ]
    codes = [domain.reason_code(reason) for reason in written]
    assert "other" not in codes and len(set(codes)) == len(codes)
    assert set(codes) <= set(REASONS)
    assert domain.reason_code("etwas anderes") == "other"


def test_an_outage_is_told_as_part_of_an_incident_only_when_they_overlap():
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    hour = timedelta(hours=1)
    incident = {"opened_at": now - 3 * hour, "resolved_at": now - 2 * hour}
    assert in_incident({"started_at": now - 4 * hour, "ended_at": now - 3 * hour}, [incident], now)
    assert in_incident({"started_at": now - 5 * hour, "ended_at": None}, [incident], now)
    assert not in_incident({"started_at": now - 5 * hour, "ended_at": now - 4 * hour}, [incident], now)
    assert not in_incident({"started_at": now - hour, "ended_at": None}, [incident], now)
    assert in_incident({"started_at": now - hour, "ended_at": None}, [{**incident, "resolved_at": None}], now)
