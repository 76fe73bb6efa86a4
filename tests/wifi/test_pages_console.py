"""The office's WLAN console (/verwaltung/wlan…) from a real wifi process, over HTTP as a browser sends it
(Accept: text/html, the CSRF cookie and field), signed in with a console session (tests/support/console.py):
the WLAN staff's and the office's roles may use it, the events staff's may not, and a bearer token is no
session. Silence takes ten minutes here, the check runs every 0.1 s: a site goes down only
when a maintenance window closes over its silence, and windows open and close within a test."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.web.csrf import COOKIE as CSRF_COOKIE
from tests.support.console import sign_in
from tests.wifi.conftest import OPERATOR, report, start_wifi
from tests.wifi.test_pages import UUID, text_of

BERLIN = ZoneInfo("Europe/Berlin")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<code class="secret"[^>]*>(hbh_[^<]+)</code>')
RUN = uuid.uuid4().hex[:4].upper()


@pytest.fixture(scope="module")
def console_wifi(wifi_nats, tmp_path_factory):
    service = start_wifi(wifi_nats.url, tmp_path_factory.mktemp("wifi-console"), WIFI_HEARTBEAT_TIMEOUT_S="600")
    yield service
    service.kill()


def browser(service) -> httpx.Client:
    """A browser: asks for pages, keeps its cookies (the session's and the CSRF cookie)."""
    return httpx.Client(base_url=service.url, headers={"accept": "text/html"}, timeout=10)


@pytest.fixture
def office(console_wifi):
    """A browser of the WLAN staff, signed in to the console, following the answers' redirects."""
    with browser(console_wifi) as client:
        client.follow_redirects = True
        yield sign_in(client, console_wifi, "wifi")


def csrf_of(client: httpx.Client, page: str) -> str:
    answer = client.get(page)
    assert answer.status_code == 200, answer.text
    return CSRF.search(answer.text).group(1)


def site_form(name: str, **changes: str) -> dict[str, str]:
    return {
        "site_name": name,
        "host_business": "Buchhandlung Am Markt",
        "address": "Kirchplatz 1, 46236 Bottrop",
        "latitude": "51,5237",  # as a German keyboard writes it
        "longitude": "6,9287",
        "placement": "outdoor",
        "ap_model": "Wifi4EU AP",
        "ap_serial": f"C-{uuid.uuid4().hex[:8]}",
        "ap_mac": "02:00:00:00:02:01",
        "report_interval_s": "60",
        **changes,
    }


def register(client: httpx.Client, name: str) -> tuple[str, str]:
    """A new site through the console's form: its id (from the links) and the host token shown once."""
    token = csrf_of(client, "/verwaltung/wlan/neu")
    answer = client.post("/verwaltung/wlan/neu", data={**site_form(name), "csrf_token": token})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    hotspot_id = re.search(r'href="/verwaltung/wlan/([0-9a-f-]{36})"', answer.text).group(1)
    return hotspot_id, SECRET.search(answer.text).group(1)


def send_report(service, hotspot_id: str, token: str, **fields) -> int:
    answer = httpx.post(
        f"{service.url}/hotspots/{hotspot_id}/reports",
        json=report(**fields),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return answer.status_code


def local(moment: datetime) -> str:
    """As a `datetime-local` field sends it: Bottrop's wall clock, no offset."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M:%S")


def eventually(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_without_a_session_the_console_sends_the_browser_to_the_login(console_wifi):
    login = "/verwaltung/anmelden?weiter=/verwaltung/wlan"
    for headers in ({}, {"authorization": "Bearer not-the-operator"}, {"authorization": f"Bearer {OPERATOR}"}):
        answer = httpx.get(f"{console_wifi.url}/verwaltung/wlan", headers={"accept": "text/html", **headers})
        assert answer.status_code == 303 and answer.headers["location"] == login  # a bearer token is no session
    sent = httpx.post(f"{console_wifi.url}/verwaltung/wlan/neu", data=site_form("Ohne Zugang"), headers={})
    assert sent.status_code == 303 and sent.headers["location"] == login + "/neu"


def test_events_staff_cannot_rotate_a_host_token_and_the_office_sees_the_site(console_wifi, office):
    hotspot_id, token = register(office, f"Gladbecker Straße {RUN}")
    renewal = f"/verwaltung/wlan/{hotspot_id}/zugang"
    form = CSRF.search(office.get(renewal).text)[1]
    with browser(console_wifi) as events_staff:
        sign_in(events_staff, console_wifi, "events")
        for path in ("/verwaltung/wlan", f"/verwaltung/wlan/{hotspot_id}", renewal):
            page = events_staff.get(path)
            assert page.status_code == 403 and "Dieser Bereich gehört nicht zu Ihrer Rolle" in page.text, path
            assert "Gladbecker Straße" not in page.text
        events_staff.cookies.set(CSRF_COOKIE, office.cookies[CSRF_COOKIE])  # even with a valid form token
        refused = events_staff.post(renewal, data={"csrf_token": form})
        assert refused.status_code == 403 and "hbh_" not in refused.text
    assert send_report(console_wifi, hotspot_id, token) == 202  # the host's token still works
    with browser(console_wifi) as office_staff:
        page = sign_in(office_staff, console_wifi, "office").get("/verwaltung/wlan")
        assert page.status_code == 200 and f"Gladbecker Straße {RUN}" in text_of(page.text)


def test_an_unknown_site_is_a_404_page_that_names_no_id(office):
    for hotspot_id in (str(uuid.uuid4()), "x" * 300):
        for path in ("", "/meldungen", "/zugang"):
            answer = office.get(f"/verwaltung/wlan/{hotspot_id}{path}")
            assert answer.status_code == 404 and "Diesen WLAN-Standort gibt es nicht." in answer.text
            assert hotspot_id not in text_of(answer.text)


def test_a_form_without_its_csrf_token_is_refused_with_403_and_changes_nothing(office):
    name = f"Ohne Formularschutz {RUN}"
    answer = office.post("/verwaltung/wlan/neu", data=site_form(name))
    assert answer.status_code == 403 and "Das Formular ist abgelaufen" in answer.text
    assert name not in office.get("/verwaltung/wlan").text


def test_a_new_site_shows_its_host_token_once_and_the_token_works_for_a_report(console_wifi, office):
    hotspot_id, token = register(office, f"Hansastraße {RUN}")
    assert send_report(console_wifi, hotspot_id, token) == 202
    page = office.get(f"/verwaltung/wlan/{hotspot_id}")
    assert page.status_code == 200 and token not in page.text
    assert "in Betrieb" in text_of(page.text) and "Hansastraße" in text_of(page.text)
    stored = httpx.get(f"{console_wifi.url}/hotspots/{hotspot_id}").json()
    assert (stored["latitude"], stored["longitude"]) == (51.5237, 6.9287)  # typed with a decimal comma


def test_renewing_the_host_token_shows_the_new_one_once_and_only_it_works_from_then_on(console_wifi, office):
    hotspot_id, old = register(office, f"Pferdemarkt {RUN}")
    assert send_report(console_wifi, hotspot_id, old) == 202
    confirm = office.get(f"/verwaltung/wlan/{hotspot_id}/zugang")
    assert "funktioniert danach sofort nicht mehr" in confirm.text and "hbh_" not in confirm.text
    answer = office.post(f"/verwaltung/wlan/{hotspot_id}/zugang", data={"csrf_token": CSRF.search(confirm.text)[1]})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    new = SECRET.search(answer.text).group(1)
    assert new != old and f"--token {new}" in answer.text and "hallobot host-agent" in answer.text
    assert send_report(console_wifi, hotspot_id, old) == 401
    assert send_report(console_wifi, hotspot_id, new) == 202
    for page in (f"/verwaltung/wlan/{hotspot_id}", f"/verwaltung/wlan/{hotspot_id}/zugang", "/verwaltung/wlan"):
        assert new not in office.get(page).text  # shown once: on the answer to the POST only
    refused = office.post(f"/verwaltung/wlan/{hotspot_id}/zugang", data={})
    assert refused.status_code == 403  # no CSRF token: no new credential
    assert send_report(console_wifi, hotspot_id, new) == 202


def test_the_list_names_a_down_site_before_the_working_ones(console_wifi, office):
    working, token = register(office, f"Berliner Platz {RUN}")
    silent, _ = register(office, f"Kirchplatz {RUN}")
    assert send_report(console_wifi, working, token) == 202
    now = datetime.now(UTC)
    # A window that closes a second from now over a site never heard from leaves it down.
    window = {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(seconds=1)).isoformat(),
    }
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    httpx.post(f"{console_wifi.url}/hotspots/{silent}/maintenance", json=window, headers=operator).raise_for_status()
    assert eventually(lambda: "ausgefallen" in text_of(office.get(f"/verwaltung/wlan/{silent}").text))
    page = office.get("/verwaltung/wlan")
    text = text_of(page.text)
    assert text.index(f"Kirchplatz {RUN}") < text.index(f"Berliner Platz {RUN}")
    first_row = page.text[page.text.index("<tbody>") : page.text.index("</tr>", page.text.index("<tbody>"))]
    assert "ausgefallen" in first_row
    assert "braucht Aufmerksamkeit" in text or "brauchen Aufmerksamkeit" in text
    assert not UUID.search(text)  # sites by name, never by id


def test_a_window_planned_with_the_form_puts_the_site_into_maintenance_in_its_window_and_can_end_early(office):
    hotspot_id, _ = register(office, f"Kulturkirche {RUN}")
    page = f"/verwaltung/wlan/{hotspot_id}"
    starts = datetime.now(UTC) + timedelta(seconds=5)
    form = {"starts_at": local(starts), "ends_at": local(starts + timedelta(hours=1)), "note": "Neuer Router"}
    answer = office.post(f"{page}/wartung", data={**form, "csrf_token": csrf_of(office, page)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{page}?geplant=1#wartung"
    shown = text_of(office.get(answer.headers["location"]).text)
    assert "Die Wartung ist geplant." in shown and "Neuer Router" in shown
    assert "Wartung" not in text_of(office.get(page).text).split("Adresse")[0]  # not yet: the window is ahead
    listed = text_of(office.get("/verwaltung/wlan").text)
    assert f"Kulturkirche {RUN} : " in listed.split("Geplante Wartungen")[1]
    assert eventually(lambda: "Wartung seit" in text_of(office.get(page).text))
    assert "läuft gerade" in text_of(office.get(page).text)
    ended = office.post(
        re.search(r'action="(/verwaltung/wlan/[^"]+/absagen)"', office.get(page).text)[1],
        data={"csrf_token": csrf_of(office, page)},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    after = text_of(office.get(page).text)
    assert "Die Wartung ist abgesagt." in office.get(ended.headers["location"]).text
    assert "Wartung seit" not in after and "ausgefallen" in after  # never heard from: down from the window's end
    assert "Zurzeit ist keine Wartung geplant." in after and "Vergangene Wartungen" in after


def test_a_window_still_to_come_can_be_called_off(office):
    hotspot_id, _ = register(office, f"Gladbecker Straße {RUN}")
    page = f"/verwaltung/wlan/{hotspot_id}"
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    form = {
        "starts_at": local(tomorrow),
        "ends_at": local(tomorrow + timedelta(hours=2)),
        "csrf_token": csrf_of(office, page),
    }
    assert office.post(f"{page}/wartung", data=form).status_code == 200  # followed to the page
    cancel = re.search(r'action="(/verwaltung/wlan/[^"]+/absagen)"', office.get(page).text)[1]
    assert office.post(cancel, data={"csrf_token": csrf_of(office, page)}).status_code == 200
    assert "Zurzeit ist keine Wartung geplant." in text_of(office.get(page).text)
    again = office.post(cancel, data={"csrf_token": csrf_of(office, page)})
    assert again.status_code == 404 and "Diese Wartung gibt es nicht (mehr)." in again.text


def test_an_end_before_the_start_names_the_end_and_keeps_what_was_typed(office):
    hotspot_id, _ = register(office, f"Ende vor Beginn {RUN}")
    page = f"/verwaltung/wlan/{hotspot_id}"
    form = {"starts_at": "2031-05-04T18:00", "ends_at": "2031-05-04T17:00", "note": "Antenne prüfen"}
    answer = office.post(f"{page}/wartung", data={**form, "csrf_token": csrf_of(office, page)})
    assert answer.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen." in answer.text and 'href="#f-ends_at"' in answer.text
    assert answer.text.index("error-summary") < answer.text.index("<h2")  # first thing under the heading
    assert 'value="2031-05-04T18:00"' in answer.text and 'value="2031-05-04T17:00"' in answer.text
    assert ">Antenne prüfen</textarea>" in answer.text
    assert re.search(r'id="f-ends_at"[^>]*aria-invalid="true"', answer.text)
    assert "Zurzeit ist keine Wartung geplant." in answer.text  # nothing was planned


def test_renaming_a_site_on_its_page_changes_its_name_everywhere_and_an_empty_name_is_refused(console_wifi, office):
    hotspot_id, _ = register(office, f"Alter Name {RUN}")
    page = f"/verwaltung/wlan/{hotspot_id}"
    refused = office.post(f"{page}/name", data={"site_name": " ", "csrf_token": csrf_of(office, page)})
    assert refused.status_code == 422 and 'href="#f-site_name"' in refused.text
    renamed = office.post(f"{page}/name", data={"site_name": f"Neuer Name {RUN}", "csrf_token": csrf_of(office, page)})
    assert renamed.status_code == 200 and "Der Standort hat seinen neuen Namen." in renamed.text
    assert httpx.get(f"{console_wifi.url}/hotspots/{hotspot_id}").json()["site_name"] == f"Neuer Name {RUN}"


def test_a_new_site_with_a_wrong_mac_address_keeps_the_input_and_names_the_field(office):
    name = f"Falsche MAC {RUN}"
    form = {**site_form(name, ap_mac="74-83-C2"), "csrf_token": csrf_of(office, "/verwaltung/wlan/neu")}
    answer = office.post("/verwaltung/wlan/neu", data=form)
    assert answer.status_code == 422 and 'href="#f-ap_mac"' in answer.text
    assert f'value="{name}"' in answer.text and 'value="74-83-C2"' in answer.text and 'value="51,5237"' in answer.text
    assert name not in text_of(office.get("/verwaltung/wlan").text)


def test_the_reports_of_a_site_are_paged_newest_first(console_wifi, office):
    hotspot_id, token = register(office, f"Viele Meldungen {RUN}")
    now = datetime.now(UTC)
    for seconds in range(55, 0, -1):
        moment = (now - timedelta(seconds=seconds)).isoformat()
        assert send_report(console_wifi, hotspot_id, token, clients=seconds, timestamp=moment) == 202
    site = office.get(f"/verwaltung/wlan/{hotspot_id}").text
    assert site.count("<tr><td>", site.index("console-reports")) == 10
    first = office.get(f"/verwaltung/wlan/{hotspot_id}/meldungen")
    rows = re.findall(r"<tr><td>.*?</td>\s*<td>.*?</td>\s*<td>(\d+)</td>", first.text, re.S)
    assert rows == [str(clients) for clients in range(1, 51)]  # the newest (1 client) first
    older = re.search(r'href="([^"]+meldungen\?bis=[^"]+)"', first.text)[1].replace("&amp;", "&")
    second = office.get(older)
    rows = re.findall(r"<tr><td>.*?</td>\s*<td>.*?</td>\s*<td>(\d+)</td>", second.text, re.S)
    assert rows == ["51", "52", "53", "54", "55"] and "Ältere Meldungen</a>" not in second.text
    assert "Neueste Meldungen" in second.text and not UUID.search(text_of(second.text))


def test_the_monthly_figures_come_as_a_table_and_a_csv_in_the_api_format(console_wifi, office):
    hotspot_id, token = register(office, f"Zahlen {RUN}")
    assert send_report(console_wifi, hotspot_id, token) == 202
    month = datetime.now(UTC).astimezone(BERLIN).strftime("%Y-%m")
    answer = office.get(f"/verwaltung/wlan/verfuegbarkeit/{month}.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "no-store"
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("hotspot_id;site_name;day;uptime_percent")
    assert any(line.startswith(f"{hotspot_id};Zahlen {RUN};{month};100") for line in lines)
    assert f"/verwaltung/wlan/verfuegbarkeit/{month}.csv" in office.get("/verwaltung/wlan").text


def test_the_console_speaks_english_with_no_german_state_and_no_id_in_the_text(office):
    hotspot_id, _ = register(office, f"Englisch {RUN}")
    for page in ("/verwaltung/wlan", f"/verwaltung/wlan/{hotspot_id}", f"/verwaltung/wlan/{hotspot_id}/zugang"):
        answer = office.get(page, params={"lang": "en"})
        assert answer.status_code == 200 and answer.headers["content-language"] == "en"
        text = text_of(answer.text)
        for german in ("ausgefallen", "unbekannt", "Wartung", "Standort", "Zustand"):
            assert german not in text, (page, german)
        assert not UUID.search(text)
    assert "Plan maintenance" in office.get(f"/verwaltung/wlan/{hotspot_id}", params={"lang": "en"}).text
