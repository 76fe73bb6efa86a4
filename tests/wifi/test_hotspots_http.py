"""Hotspots, host credentials and status through HTTP, with events read back from a real nats-server."""

from __future__ import annotations

import asyncio
import csv as csv_module
import io
from datetime import UTC, datetime, timedelta

from tests.wifi.conftest import (
    HEARTBEAT_S,
    OPERATOR,
    create_hotspot,
    eventually_equal,
    post_report,
    report,
    site,
    status_changes,
    wifi_events,
)

OPERATOR_HEADERS = {"Authorization": f"Bearer {OPERATOR}"}


async def test_an_operator_creates_a_hotspot_and_its_host_credential_is_shown_only_once(http, wifi_nats):
    assert (await http.post("/hotspots", json=site())).status_code == 401
    hotspot_id, token = await create_hotspot(http, "Kulturkirche")
    assert token.startswith("hbh_")
    shown = (await http.get(f"/hotspots/{hotspot_id}")).json()
    assert shown["site_name"] == "Kulturkirche" and shown["status"] is None and "host_token" not in shown
    assert hotspot_id in [h["id"] for h in (await http.get("/hotspots")).json()]

    async def registered():
        return len(await wifi_events(wifi_nats.url, f"hallobot.wifi.hotspot.registered.{hotspot_id}"))

    assert await eventually_equal(registered, 1) == 1


async def test_a_hotspot_is_up_then_down_after_silence_then_up_on_the_next_report(http, wifi_nats):
    hotspot_id, token = await create_hotspot(http)
    assert (await post_report(http, hotspot_id, token)).json()["status"] == "up"
    await asyncio.sleep(HEARTBEAT_S + 0.5)
    assert (await http.get(f"/hotspots/{hotspot_id}")).json()["status"] == "down"
    assert (await post_report(http, hotspot_id, token)).json()["status"] == "up"
    changes = await eventually_equal(
        lambda: status_changes(wifi_nats.url, hotspot_id), [(None, "up"), ("up", "down"), ("down", "up")]
    )
    assert changes == [(None, "up"), ("up", "down"), ("down", "up")]


async def test_flapping_within_the_tolerance_produces_no_event_and_a_lasting_problem_one(http, wifi_nats):
    hotspot_id, token = await create_hotspot(http)
    await post_report(http, hotspot_id, token)
    for uplink_ok in (False, True, False, False, True, False, True):
        assert (await post_report(http, hotspot_id, token, report(uplink_ok=uplink_ok))).json()["status"] == "up"
    for _ in range(3):
        answer = await post_report(http, hotspot_id, token, report(backhaul=8.0))
    assert answer.json()["status"] == "degraded"
    expected = [(None, "up"), ("up", "degraded")]
    assert await eventually_equal(lambda: status_changes(wifi_nats.url, hotspot_id), expected) == expected
    reason = (await http.get(f"/hotspots/{hotspot_id}")).json()["status_reason"]
    assert "Backhaul 8" in reason


async def test_maintenance_suppresses_the_alarm_and_silence_after_the_window_is_down(http, wifi_nats):
    hotspot_id, token = await create_hotspot(http)
    await post_report(http, hotspot_id, token)
    now = datetime.now(UTC)
    window = {
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(seconds=HEARTBEAT_S * 2)).isoformat(),
        "note": "Tausch des Access Points",
    }
    created = await http.post(f"/hotspots/{hotspot_id}/maintenance", json=window, headers=OPERATOR_HEADERS)
    assert created.status_code == 201, created.text
    assert (await http.get(f"/hotspots/{hotspot_id}")).json()["status"] == "maintenance"
    await asyncio.sleep(HEARTBEAT_S + 0.5)  # silent for longer than the timeout, inside the window
    assert (await http.get(f"/hotspots/{hotspot_id}")).json()["status"] == "maintenance"
    expected = [(None, "up"), ("up", "maintenance"), ("maintenance", "down")]
    assert await eventually_equal(lambda: status_changes(wifi_nats.url, hotspot_id), expected, timeout=10) == expected
    windows = (await http.get(f"/hotspots/{hotspot_id}/maintenance")).json()
    assert windows[0]["note"] == "Tausch des Access Points"


async def test_a_foreign_host_credential_gets_403_and_a_missing_or_unknown_one_401(http):
    first, first_token = await create_hotspot(http, "Gladbecker Straße")
    second, _ = await create_hotspot(http, "Hansastraße")
    assert (await post_report(http, second, first_token)).status_code == 403
    assert (await post_report(http, first, "hbh_not-a-token")).status_code == 401
    assert (await http.post(f"/hotspots/{first}/reports", json=report())).status_code == 401
    assert (await post_report(http, first, first_token)).status_code == 202


async def test_a_rotated_host_credential_replaces_the_old_one(http):
    hotspot_id, old = await create_hotspot(http)
    rotated = await http.post(f"/hotspots/{hotspot_id}/token", headers=OPERATOR_HEADERS)
    new = rotated.json()["host_token"]
    assert (await post_report(http, hotspot_id, old)).status_code == 401
    assert (await post_report(http, hotspot_id, new)).status_code == 202


async def test_bad_reports_and_bad_hotspots_are_refused_with_a_4xx_naming_the_field(http):
    hotspot_id, token = await create_hotspot(http)
    cases = {
        "clients": report(clients=-1),
        "timestamp": {**report(), "timestamp": "yesterday"},
        "uplink_ok": {k: v for k, v in report().items() if k != "uplink_ok"},
        "backhaul_mbps": report(backhaul="fast"),
    }
    for field, body in cases.items():
        answer = await post_report(http, hotspot_id, token, body)
        assert answer.status_code == 422 and field in answer.json()["message"], (field, answer.text)
    future = report(timestamp=(datetime.now(UTC) + timedelta(hours=2)).isoformat())
    answer = await post_report(http, hotspot_id, token, future)
    assert answer.status_code == 422 and answer.json()["field"] == "timestamp"
    answer = await http.post("/hotspots", json={**site(), "ap_mac": "nope"}, headers=OPERATOR_HEADERS)
    assert answer.status_code == 422 and "ap_mac" in answer.json()["message"]
    assert (await http.get("/hotspots/unknown")).status_code == 404
    assert (await http.get(f"/hotspots/{hotspot_id}/uptime/2025-13")).status_code == 422


async def test_uptime_per_day_and_month_is_served_as_json_and_csv(http):
    hotspot_id, token = await create_hotspot(http)
    await post_report(http, hotspot_id, token)
    month = datetime.now(UTC).strftime("%Y-%m")
    body = (await http.get(f"/hotspots/{hotspot_id}/uptime/{month}")).json()
    assert body["month"] == month and len(body["days"]) >= 28
    assert body["total"]["up_s"] > 0 and body["total"]["uptime_percent"] == 100.0
    csv = await http.get(f"/hotspots/{hotspot_id}/uptime/{month}.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("\ufeff")  # UTF-8 with BOM and `;`: what German spreadsheet programs open
    lines = csv.text.removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("hotspot_id;site_name;day;uptime_percent")
    assert len(lines) == 1 + len(body["days"]) + 1 and lines[-1].split(";")[2] == month
    assert (await http.get(f"/uptime/{month}")).status_code == 200
    assert (await http.get(f"/uptime/{month}.csv")).status_code == 200


async def test_a_site_name_that_looks_like_a_formula_is_exported_as_text(http):
    hotspot_id, _ = await create_hotspot(http, '=HYPERLINK("http://evil.example";"Kirchplatz")')
    month = datetime.now(UTC).strftime("%Y-%m")
    for path in (f"/hotspots/{hotspot_id}/uptime/{month}.csv", f"/uptime/{month}.csv"):
        answer = await http.get(path)
        assert answer.status_code == 200
        rows = list(csv_module.reader(io.StringIO(answer.text.removeprefix("\ufeff")), delimiter=";"))
        names = {row[1] for row in rows[1:] if row[0] == hotspot_id}
        assert names == {'\'=HYPERLINK("http://evil.example";"Kirchplatz")'}, path


async def test_an_operator_updates_a_hotspot_and_nobody_else_can(http):
    hotspot_id, token = await create_hotspot(http, "Pferdemarkt")
    change = {"host_business": "Eiscafé am Pferdemarkt", "report_interval_s": 120, "placement": "indoor"}
    assert (await http.patch(f"/hotspots/{hotspot_id}", json=change)).status_code == 401
    answer = await http.patch(f"/hotspots/{hotspot_id}", json=change, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401  # a host credential is not an operator's
    answer = await http.patch(f"/hotspots/{hotspot_id}", json=change, headers=OPERATOR_HEADERS)
    assert answer.status_code == 200, answer.text
    shown = (await http.get(f"/hotspots/{hotspot_id}")).json()
    assert {key: shown[key] for key in change} == change and shown["site_name"] == "Pferdemarkt"

    refused = {"site_name": None, "ap_mac": "zz:00", "colour": "blue", "latitude": 91}
    for field, value in refused.items():
        answer = await http.patch(f"/hotspots/{hotspot_id}", json={field: value}, headers=OPERATOR_HEADERS)
        assert answer.status_code == 422 and field in answer.text, (field, answer.text)
    assert (await http.patch("/hotspots/unknown", json=change, headers=OPERATOR_HEADERS)).status_code == 404
    assert (await post_report(http, hotspot_id, token)).status_code == 202  # its host still reports
