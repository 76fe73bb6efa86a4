"""The impact monitor and the audit trail against the real service (a process), a real nats-server and
SQLite/PostgreSQL: a known quarter of events goes onto the streams (tests/support/monitor_sample.py);
every figure's CSV shows what was sent, counts under 5 about people are "< 5", the audit page names
the actors, and dropping the projection and rebuilding it from the streams gives the same figures.

One service per database for the whole module (a start costs half a minute on two busy cores); the
sample is sent once, and the rebuild comes last. The pages are read with an office account's console
session (a real login); the API (/monitor) with the bootstrap token."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import nats
import pytest

from shared.console.access import SESSION_COOKIE
from tests.notifications.conftest import AUTH, service_env, start_service
from tests.support.console import console_session, logged_in_cookie
from tests.support.monitor_sample import (
    ACCOUNT_A,
    AUDIT_ROWS,
    COMPLETENESS,
    EXPECTED,
    FAIRTRADE,
    PERIOD,
    SERIES_ROWS,
    Sample,
)
from tests.support.nats import NatsServer
from tests.support.postgres import create_database, drop_database
from tests.support.smtp import SmtpServer
from tests.support.system import wait_until

FIGURES = (
    "eintraege",
    "veroeffentlichung",
    "vollstaendigkeit",
    "anmeldungen",
    "nachruecken",
    "wlan",
    "fairtrade",
    "mails",
)
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"monitor-{request.param}")
    database_url = None
    if request.param == "postgresql":
        server_url = request.getfixturevalue("postgres_url")
        database_url = create_database(server_url)
        request.addfinalizer(lambda: drop_database(server_url, database_url))
    nats_server, smtp = NatsServer(root / "nats").start(), SmtpServer().start()
    request.addfinalizer(nats_server.kill)
    request.addfinalizer(smtp.stop)
    service = start_service(service_env(nats_server.url, smtp.port, root / "var", database_url), root)
    request.addfinalizer(service.kill)
    asyncio.run(send(nats_server.url, SAMPLE))
    assert wait_until(lambda: caught_up(service), timeout=60)
    return service


@pytest.fixture(scope="module")
def office(service) -> dict[str, str]:
    """The Cookie header of an office account's console session (logged in once per service)."""
    return {"Cookie": f"{SESSION_COOKIE}={logged_in_cookie(service.url, AUTH, 'office')['cookie']}"}


SAMPLE = Sample()


def table(service, office, figure: str) -> list[list[str]]:
    url = f"{service.url}/verwaltung/wirkung/{figure}.csv"
    response = httpx.get(url, params=PERIOD, headers=office, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def caught_up(service) -> bool:
    state = httpx.get(f"{service.url}/monitor", headers=AUTH, timeout=10).json()
    return state["pending"] == 0


async def send(url: str, sample: Sample) -> None:
    nc = await nats.connect(url)
    try:
        for subject, event in sample.events:
            await nc.jetstream().publish(subject, event.to_json(), headers=event.headers())
    finally:
        await nc.close()


def test_every_figure_shows_what_the_streams_told(service, office):
    before = {figure: table(service, office, figure) for figure in FIGURES}
    for figure, rows in EXPECTED.items():
        assert before[figure] == rows, figure
    series = {row[0]: row[1:] for row in before["anmeldungen"][1:]}
    assert series == SERIES_ROWS
    assert {row[0]: row[1] for row in before["vollstaendigkeit"][1:5]} == COMPLETENESS
    header, *months = before["fairtrade"]
    for month, wanted in FAIRTRADE.items():
        row = dict(zip(header, next(r for r in months if r[0] == month), strict=True))
        assert row["Berichte in der Presse"] == wanted["press"]
        assert row["faire Produkte in Geschäften und Gastronomie"] == wanted["retail_gastronomy"]


def test_the_audit_page_names_who_changed_what_and_filters_by_actor(service, office):
    page = httpx.get(f"{service.url}/verwaltung/protokoll", params=PERIOD, headers=HTML | office, timeout=10)
    assert page.status_code == 200
    assert f"{AUDIT_ROWS} Änderungen" in page.text
    assert "Zugang der Inbetriebnahme" in page.text
    assert "Geänderte Angaben: Plätze, Ort" in page.text
    assert ACCOUNT_A not in page.text.replace(f'value="{ACCOUNT_A}"', "")  # an id only as the filter's value

    mine = httpx.get(
        f"{service.url}/verwaltung/protokoll", params={**PERIOD, "wer": ACCOUNT_A}, headers=HTML | office, timeout=10
    )
    assert "2 Änderungen" in mine.text
    assert "Eintrag archiviert" in mine.text or "Ein Eintrag im Verzeichnis wurde archiviert." in mine.text
    only_events = httpx.get(
        f"{service.url}/verwaltung/protokoll", params={**PERIOD, "bereich": "events"}, headers=HTML | office, timeout=10
    )
    assert "2 Änderungen" in only_events.text


def test_the_monitor_and_the_audit_trail_need_a_console_session_with_their_area(service):
    pages = ("/verwaltung/wirkung", "/verwaltung/wirkung/mails.csv", "/verwaltung/protokoll")
    wifi = {"Cookie": f"{SESSION_COOKIE}={console_session(service, 'wifi')}"}  # a role without "monitor" and "audit"
    for path in pages:
        for headers in ({}, {"Authorization": "Bearer not-the-operator"}, AUTH):  # never a bearer token
            answer = httpx.get(f"{service.url}{path}", headers=headers, timeout=10)
            assert answer.status_code == 303, (path, headers)
            assert answer.headers["location"] == f"/verwaltung/anmelden?weiter={path}"
        refused = httpx.get(f"{service.url}{path}", headers=HTML | wifi, timeout=10)
        assert refused.status_code == 403 and "<html" in refused.text, path
    assert httpx.get(f"{service.url}/monitor", timeout=10).status_code == 401
    assert httpx.get(f"{service.url}/monitor", headers={"Authorization": "Bearer not-the-operator"}).status_code == 401
    assert httpx.post(f"{service.url}/monitor/rebuild", timeout=10).status_code == 401


def test_the_dashboard_and_the_yearly_report_answer_in_both_languages(service, office):
    page = httpx.get(
        f"{service.url}/verwaltung/wirkung", params={**PERIOD, "lang": "en"}, headers=HTML | office, timeout=10
    )
    assert page.status_code == 200
    assert "How it is counted" in page.text and "<svg" in page.text
    report = httpx.get(f"{service.url}/verwaltung/wirkung/jahresbericht-2026.pdf", headers=office, timeout=30)
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF")
    for bad in ({"von": "2026-13"}, {"von": "2026-05", "bis": "2026-01"}, {"von": "2001-01", "bis": "2026-01"}):
        assert (
            httpx.get(f"{service.url}/verwaltung/wirkung", params=bad, headers=HTML | office, timeout=10).status_code
            == 422
        )
    assert httpx.get(f"{service.url}/verwaltung/wirkung/nichts.csv", headers=office, timeout=10).status_code == 404


def test_dropping_the_projection_and_rebuilding_it_from_the_streams_gives_the_same_figures(service, office):
    before = {figure: table(service, office, figure) for figure in FIGURES}
    audit = httpx.get(f"{service.url}/verwaltung/protokoll", params=PERIOD, headers=HTML | office, timeout=10).text
    rebuilt = httpx.post(f"{service.url}/monitor/rebuild", headers=AUTH, timeout=30)
    assert rebuilt.status_code == 202, rebuilt.text
    assert rebuilt.json()["generation"] == 2
    assert wait_until(
        lambda: caught_up(service) and table(service, office, "eintraege") == before["eintraege"], timeout=90
    )
    assert {figure: table(service, office, figure) for figure in FIGURES} == before
    again = httpx.get(f"{service.url}/verwaltung/protokoll", params=PERIOD, headers=HTML | office, timeout=10).text
    assert f"{AUDIT_ROWS} Änderungen" in again and again.count("<tr><td>") == audit.count("<tr><td>")
