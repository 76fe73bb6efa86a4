"""The WLAN pages (/wlan, /wlan/<id>) from a real wifi process: the six demo sites, some reporting, one
in maintenance, one faulty; asked for as a browser asks (Accept: text/html)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest

from hallobot.demo.wifi import SITES, create_demo_hotspots
from tests.wifi.conftest import OPERATOR, eventually_equal, report, start_wifi, wifi_events

HTML = {"accept": "text/html"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NAMES = [name for name, *_ in SITES]


class Text(HTMLParser):
    """The text a person reads (no tags, attributes or scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def wifi_site(wifi_nats, tmp_path_factory):
    """Silence takes ten minutes here, so the states set up below hold while the tests look."""
    service = start_wifi(wifi_nats.url, tmp_path_factory.mktemp("wifi-pages"), WIFI_HEARTBEAT_TIMEOUT_S="600")
    yield service
    service.kill()


@pytest.fixture(scope="module")
def sites(wifi_site) -> dict[str, str]:
    """The six sites by name → id: Pferdemarkt up, Kirchplatz faulty after a fault that ended,
    Kulturkirche in maintenance, Gladbecker Straße up with maintenance planned, the others unheard."""
    created = {hotspot["site_name"]: hotspot for hotspot in create_demo_hotspots(wifi_site.url, OPERATOR)}
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    with httpx.Client(base_url=wifi_site.url, timeout=10) as client:

        def send(name: str, uplink_ok: bool = True) -> None:
            hotspot = created[name]
            answer = client.post(
                f"/hotspots/{hotspot['id']}/reports",
                json=report(uplink_ok=uplink_ok),
                headers={"Authorization": f"Bearer {hotspot['host_token']}"},
            )
            assert answer.status_code == 202, answer.text

        def maintenance(name: str, starts: datetime, hours: float, note: str) -> None:
            body = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat()}
            answer = client.post(
                f"/hotspots/{created[name]['id']}/maintenance", json={**body, "note": note}, headers=operator
            )
            assert answer.status_code == 201, answer.text

        now = datetime.now(UTC)
        send("Pferdemarkt")
        for uplink_ok in (False, True, True, True, False, False, False):
            send("Kirchplatz", uplink_ok)
        maintenance("Kulturkirche", now - timedelta(minutes=5), 2, "Neuer Zugangspunkt")
        send("Gladbecker Straße")
        maintenance("Gladbecker Straße", now + timedelta(days=3), 2, "Austausch des Routers")
        maintenance("Gladbecker Straße", now - timedelta(days=2), 1, "Prüfung der Leitung")
    return {name: hotspot["id"] for name, hotspot in created.items()}


def get(service, path: str, **headers: str) -> httpx.Response:
    return httpx.get(service.url + path, headers={**HTML, **headers}, timeout=10)


def test_the_wlan_page_names_the_six_sites_with_their_state_in_plain_german(wifi_site, sites):
    answer = get(wifi_site, "/wlan")
    assert answer.status_code == 200 and answer.headers["content-language"] == "de"
    text = text_of(answer.text)
    for name in NAMES:
        assert name in text
        assert f'href="/wlan/{sites[name]}"' in answer.text
    assert "in Betrieb" in text and "gestört" in text and "Wartung" in text and "unbekannt" in text
    assert "Die Verbindung ins Internet ist gestört." in text
    assert " / " not in text  # no "Deutsch / English" reason


def test_the_map_is_an_svg_drawn_on_the_server_with_every_site_by_name_and_state(wifi_site, sites):
    answer = get(wifi_site, "/wlan")
    svg = answer.text[
        answer.text.index("<svg viewBox") : answer.text.index("</svg>", answer.text.index("<svg viewBox"))
    ]
    for name in NAMES:
        assert name in svg
    assert 'role="img"' in svg and "<desc" in svg and "Kirchplatz: gestört." in svg
    assert "openstreetmap.org/?mlat=51.52370&amp;mlon=6.92870" in answer.text  # a plain link, per site
    assert answer.text.count("openstreetmap.org/") == 6
    assert "<script" not in answer.text and "tile" not in answer.text


def test_a_site_page_shows_availability_per_month_faults_and_maintenance(wifi_site, sites):
    answer = get(wifi_site, f"/wlan/{sites['Gladbecker Straße']}")
    assert answer.status_code == 200
    text = text_of(answer.text)
    assert "WLAN am Standort Gladbecker Straße" in text and "in Betrieb" in text
    assert "Geplante Wartung" in text and "Austausch des Routers" in text
    assert "Vergangene Wartungen" in text and "Prüfung der Leitung" in text
    month = datetime.now(UTC).astimezone().strftime("%Y")
    assert "Verfügbarkeit pro Monat" in text and month in text and "100 %" in text
    assert answer.text.count('class="wlan-bar"') == 1  # one month so far, with data
    assert "<table" in answer.text and "Uhr" in text

    faulty = text_of(get(wifi_site, f"/wlan/{sites['Kirchplatz']}").text)
    assert "Störungen" in faulty and "dauert an" in faulty and " bis " in faulty
    assert faulty.count("Die Verbindung ins Internet ist gestört.") >= 2  # now and the fault that ended


def test_the_pages_are_english_when_asked_and_show_no_german_state_or_id(wifi_site, sites):
    for path in ("/wlan", f"/wlan/{sites['Kirchplatz']}", f"/wlan/{sites['Kulturkirche']}"):
        answer = get(wifi_site, path + "?lang=en")
        text = text_of(answer.text)
        assert answer.status_code == 200 and '<html lang="en">' in answer.text
        assert "gestört" not in text and "in Betrieb" not in text and "Wartung" not in text, path
        assert "Uplink" not in text and " / " not in text
        assert not UUID.search(text), path
    assert "faulty" in text_of(get(wifi_site, "/wlan", **{"accept-language": "en"}).text)
    assert not UUID.search(text_of(get(wifi_site, "/wlan").text))


def test_an_unknown_site_is_the_not_found_page_in_plain_words(wifi_site, sites):
    for path in ("/wlan/00000000-0000-0000-0000-000000000000", "/wlan/" + "x" * 80):
        answer = get(wifi_site, path)
        assert answer.status_code == 404
        assert "Seite nicht gefunden" in answer.text and "Diesen WLAN-Standort gibt es nicht." in answer.text
        assert "00000000" not in text_of(answer.text)
    english = get(wifi_site, "/wlan/00000000-0000-0000-0000-000000000000?lang=en")
    assert english.status_code == 404 and "There is no such Wi-Fi site." in english.text


async def test_the_status_events_carry_the_reason_as_a_code_beside_its_text(wifi_nats, sites):
    subject = f"hallobot.wifi.hotspot.status_changed.{sites['Kirchplatz']}"

    async def codes():
        return [(e["data"]["status"], e["data"]["reason_code"]) for e in await wifi_events(wifi_nats.url, subject)]

    expected = [("degraded", "uplink_failing"), ("up", "report_ok"), ("degraded", "uplink_failing")]
    assert await eventually_equal(codes, expected) == expected
