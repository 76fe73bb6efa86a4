"""The Wifi4EU duty served by a real wifi process (SQLite, nats-server): three years of simulated status
periods written into its database, then the operator's JSON, the console's table, its CSV (parsed) and
its PDF, and the start day set through the API and the console's form. Figures computed by hand:
months in Bottrop's local time, March an hour short and October an hour long."""

from __future__ import annotations

import calendar
import csv
import io
import re
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.wifi.models import status_periods
from tests.support.console import sign_in
from tests.support.databases import migrated
from tests.wifi.conftest import OPERATOR, site, start_wifi

BERLIN = ZoneInfo("Europe/Berlin")
AUTH = {"Authorization": f"Bearer {OPERATOR}"}
HOUR = 3600
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RUN = uuid.uuid4().hex[:4].upper()


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def month_seconds(year: int, month: int) -> int:
    """By hand: the days times 24 hours, less the hour of spring's change, plus the hour of autumn's."""
    days = calendar.monthrange(year, month)[1]
    return days * 24 * HOUR - (HOUR if month == 3 else 0) + (HOUR if month == 10 else 0)


def simulated_periods(hotspot_id: str) -> list[dict]:
    """Up from 1 January 2023 to 1 January 2026, with a 30-minute outage at noon on each month's 15th
    and an hour of maintenance on each month's 20th: 145 status periods, not millions of reports."""
    rows, cursor = [], local(2023, 1, 1)
    for year in (2023, 2024, 2025):
        for month in range(1, 13):
            for status, lo, hi in (
                ("down", local(year, month, 15, 12), local(year, month, 15, 12, 30)),
                ("maintenance", local(year, month, 20, 9), local(year, month, 20, 10)),
            ):
                rows += [("up", cursor, lo), (status, lo, hi)]
                cursor = hi
    rows.append(("up", cursor, local(2026, 1, 1)))
    return [
        {"hotspot_id": hotspot_id, "status": s, "reason": "simuliert", "started_at": lo, "ended_at": hi}
        for s, lo, hi in rows
    ]


@pytest.fixture(scope="module")
def duty_wifi(wifi_nats, tmp_path_factory):
    folder = tmp_path_factory.mktemp("wifi-duty")
    url = f"sqlite:///{folder / 'wifi.sqlite3'}"
    service = start_wifi(wifi_nats.url, folder, WIFI_HEARTBEAT_TIMEOUT_S="600", WIFI_DATABASE_URL=url)
    service.database_url = url
    yield service
    service.kill()


@pytest.fixture(scope="module")
async def three_years(duty_wifi):
    """A site whose duty began on 1 January 2023, with three years of simulated history."""
    name = f"Duty Platz {RUN}"
    async with httpx.AsyncClient(base_url=duty_wifi.url, timeout=10) as http:
        made = await http.post("/hotspots", json=site(name), headers=AUTH)
        assert made.status_code == 201, made.text
        hotspot_id = made.json()["id"]
        # the history first: the periodic check rolls up the closed months of the duty once it is set
        async with migrated("wifi", duty_wifi.database_url) as database:
            async with database.transaction() as session:
                await session.execute(status_periods.insert(), simulated_periods(hotspot_id))
        put = await http.put(f"/hotspots/{hotspot_id}/duty", json={"start": "2023-01-01"}, headers=AUTH)
        assert put.status_code == 200, put.text
    return hotspot_id, name


@pytest.fixture
def office(duty_wifi):
    with httpx.Client(base_url=duty_wifi.url, headers={"accept": "text/html"}, timeout=30) as client:
        yield sign_in(client, duty_wifi, "wifi")


def expected_percent(year: int, month: int) -> float:
    counted = month_seconds(year, month) - HOUR  # the hour of maintenance is not counted
    return round(100 * (counted - 1800) / counted, 4)


async def test_the_api_gives_the_funding_body_36_exact_months_and_the_total_to_operators_only(duty_wifi, three_years):
    hotspot_id, name = three_years
    async with httpx.AsyncClient(base_url=duty_wifi.url, timeout=30) as http:
        assert (await http.get(f"/hotspots/{hotspot_id}/duty")).status_code == 401
        assert (await http.get("/duty")).status_code == 401
        answer = await http.get(f"/hotspots/{hotspot_id}/duty", headers=AUTH)
        everyone = await http.get("/duty", headers=AUTH)
    assert answer.status_code == 200, answer.text
    duty = answer.json()
    assert (duty["site_name"], duty["start"], duty["end"], duty["start_set"]) == (
        name,
        "2023-01-01",
        "2026-01-01",
        True,
    )
    assert len(duty["months"]) == 36
    for month in duty["months"]:
        year, number = (int(part) for part in month["month"].split("-"))
        figures = (month["downtime_min"], month["incidents"], month["maintenance_min"], month["not_monitored_s"])
        assert figures == (30, 1, 60, 0), month["month"]
        assert month["availability_percent"] == expected_percent(year, number), month["month"]
    march, october = duty["months"][2], duty["months"][9]
    assert march["month"] == "2023-03" and march["availability_percent"] == round(
        100 * (742 * HOUR - 1800) / (742 * HOUR), 4
    )
    assert october["month"] == "2023-10" and october["maintenance_s"] == HOUR
    counted = (365 + 365 + 366) * 24 * HOUR - 36 * HOUR
    assert duty["total"]["availability_percent"] == round(100 * (counted - 36 * 1800) / counted, 4)
    assert (duty["total"]["incidents"], duty["total"]["downtime_min"]) == (36, 1080)
    assert any(item["hotspot_id"] == hotspot_id for item in everyone.json())


async def test_a_start_before_2018_or_not_a_date_is_refused_and_null_goes_back_to_the_day_of_registration(duty_wifi):
    async with httpx.AsyncClient(base_url=duty_wifi.url, timeout=30) as http:
        made = await http.post("/hotspots", json=site(f"Zurück {RUN}"), headers=AUTH)
        hotspot_id = made.json()["id"]
        path = f"/hotspots/{hotspot_id}/duty"
        early = await http.put(path, json={"start": "2017-12-31"}, headers=AUTH)
        assert early.status_code == 422 and early.json()["field"] == "start"
        assert (await http.put(path, json={"start": "März"}, headers=AUTH)).status_code == 422
        assert (await http.put(path, json={"start": "2024-03-15"}, headers=AUTH)).json()["months"][0]["partial"]
        back = (await http.put(path, json={"start": None}, headers=AUTH)).json()
        assert (await http.put("/hotspots/nope/duty", json={"start": None}, headers=AUTH)).status_code == 404
    registered = datetime.fromisoformat(made.json()["created_at"]).astimezone(BERLIN).date()
    assert (back["start_set"], back["start"]) == (False, registered.isoformat())
    assert back["end"] == registered.replace(year=registered.year + 3).isoformat()


def test_the_console_shows_the_table_and_serves_the_csv_and_the_pdf(office, three_years):
    hotspot_id, name = three_years
    overview = office.get("/verwaltung/wlan/pflicht")
    assert overview.status_code == 200 and overview.headers["cache-control"] == "no-store"
    assert f'href="/verwaltung/wlan/{hotspot_id}/pflicht"' in overview.text and name in overview.text
    page = office.get(f"/verwaltung/wlan/{hotspot_id}/pflicht")
    assert page.status_code == 200
    assert "März 2023" in page.text and "Oktober 2025" in page.text and "1.080 Min." in page.text

    answer = office.get(f"/verwaltung/wlan/{hotspot_id}/pflicht.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["month"] for row in rows] == [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)] + [
        "total"
    ]
    october = rows[21]
    assert october["month"] == "2024-10" and float(october["availability_percent"]) == expected_percent(2024, 10)
    assert (october["downtime_min"], october["incidents"], october["maintenance_min"], october["partial"]) == (
        "30.0",
        "1",
        "60.0",
        "no",
    )
    assert (rows[-1]["incidents"], rows[-1]["downtime_min"]) == ("36", "1080.0")
    assert office.get("/verwaltung/wlan/pflicht.csv").content.decode("utf-8-sig").count(f"{hotspot_id};") == 37

    pdf = office.get(f"/verwaltung/wlan/{hotspot_id}/pflicht.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and name.encode() in pdf.content
    assert b"Verpflichtungszeitraum vom 01.01.2023 bis 31.12.2025" in pdf.content
    everything = office.get("/verwaltung/wlan/pflicht.pdf", params={"lang": "en"})
    assert everything.content.startswith(b"%PDF") and b"Obligation period" in everything.content


def test_the_office_sets_the_start_in_the_console_and_a_wrong_day_is_told_with_the_input_kept(office, duty_wifi):
    made = httpx.post(f"{duty_wifi.url}/hotspots", json=site(f"Formular {RUN}"), headers=AUTH, timeout=10)
    hotspot_id = made.json()["id"]
    page = f"/verwaltung/wlan/{hotspot_id}/pflicht"
    token = CSRF.search(office.get(page).text).group(1)
    wrong = office.post(page, data={"start": "2017-06-01", "csrf_token": token})
    assert wrong.status_code == 422 and "vor 2018" in wrong.text and 'value="2017-06-01"' in wrong.text
    saved = office.post(page, data={"start": "2025-03-01", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"] == f"{page}?gesetzt=1"
    shown = office.get(saved.headers["location"]).text
    assert "Der Beginn der Pflicht ist gespeichert." in shown and "01.03.2025 bis 29.02.2028" in shown  # 2028 leaps
    api = httpx.get(f"{duty_wifi.url}/hotspots/{hotspot_id}/duty", headers=AUTH, timeout=10).json()
    assert (api["start"], api["start_set"], len(api["months"])) == ("2025-03-01", True, 36)
    assert office.post(page, data={"start": "2025-03-01"}).status_code == 403  # no CSRF token


def test_events_staff_may_not_see_the_duty(duty_wifi):
    with httpx.Client(base_url=duty_wifi.url, headers={"accept": "text/html"}, timeout=10) as client:
        sign_in(client, duty_wifi, "events")
        assert client.get("/verwaltung/wlan/pflicht").status_code == 403
        assert client.get("/verwaltung/wlan/pflicht.csv").status_code == 403
