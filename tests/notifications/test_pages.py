"""The notifications service's pages over HTTP (the service as a process, nats-server, SMTP): the
start page and its ways in, the live page's first HTML, the subscribe form (topics in plain words,
errors next to their field with the input kept) and the pages behind the mails' links."""

from __future__ import annotations

import html
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services.notifications import domain
from shared.catalog import EventPublished, HotspotRegistered, HotspotStatusChanged
from shared.envelope import utcnow
from tests.notifications.conftest import link, press, publish, until

KIRCHPLATZ, RATHAUS = "3f2a9c1e-7b4d-4e8f-9a0b-1c2d3e4f5a6b", "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TYPE_STRING = re.compile(r"\b(wifi|events|directory|fairtrade)\.[a-z_]+\.[a-z_]+")
KEY = "test-secret-key-0123456789"  # NOTIFICATIONS_SECRET_KEY of tests/notifications/conftest.py
HTML = {"Accept": "text/html"}


# The tests share one service (tests/notifications/conftest.py, module_notifications): each subscribes
# its own addresses, and the sites and the series they publish are the same each time.
@pytest.fixture
def nats_server(module_nats):
    return module_nats


@pytest.fixture
def smtp(module_smtp):
    return module_smtp


@pytest.fixture
def notifications(module_notifications):
    return module_notifications


def visible_text(page: str) -> str:
    """What a person reads: the page without tags, attributes, scripts and styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def sites_and_a_series(nc, notifications) -> None:
    await publish(nc, HotspotRegistered(hotspot_id=KIRCHPLATZ, site_name="Kirchplatz"))
    await publish(nc, HotspotRegistered(hotspot_id=RATHAUS, site_name="Rathaus"))
    await publish(
        nc, HotspotStatusChanged(hotspot_id=KIRCHPLATZ, previous=None, status="up", since=utcnow() - timedelta(hours=2))
    )
    starts = utcnow() + timedelta(days=9)
    breakfast = EventPublished(
        event_id="e-breakfast",
        title="Handwerker-Frühstück",
        series="handwerker-fruehstueck",
        starts_at=starts,
        ends_at=starts,
    )
    await publish(nc, breakfast)
    assert await until(lambda: "Handwerker-Frühstück" in httpx.get(f"{notifications.url}/abonnieren").text)


def form_token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


async def test_the_start_page_leads_to_every_journey_and_the_live_page_opens_with_the_sites_by_name(notifications, nc):
    start = httpx.get(notifications.url + "/")
    assert start.status_code == 200 and start.headers["content-language"] == "de"
    assert "Ihr Betrieb bei HalloBot – kostenlos eintragen" in start.text
    for href in ("/verzeichnis/eintragen", "/veranstaltungen", "/wlan", "/fairtrade", "/abonnieren", "/live"):
        assert f'href="{href}"' in start.text, href
    assert re.search(r'<form method="get" action="/verzeichnis"[^>]*>.*?name="q"', start.text, re.S)
    assert "Your business on HalloBot – list it for free" in httpx.get(notifications.url + "/?lang=en").text
    imprint, privacy = (httpx.get(notifications.url + path) for path in ("/impressum", "/datenschutz"))
    assert "Amt für Wirtschaftsförderung und Standortmanagement" in imprint.text
    assert "Was HalloBot speichert und warum" in privacy.text and "90 Tagen" in privacy.text

    await sites_and_a_series(nc, notifications)
    for language, working in (("de", "in Betrieb"), ("en", "working")):
        live = httpx.get(f"{notifications.url}/live?lang={language}")
        text = visible_text(live.text)
        assert "Kirchplatz" in text and "Rathaus" in text and working in text, text
        assert not UUID.search(text) and not TYPE_STRING.search(text), text
        assert not re.search(r"\d{1,2}:\d{2}:\d{2}", text), "times without seconds"
        assert '<script src="/static/live.js" defer></script>' in live.text and "/assets/site.css" in live.text


async def test_the_subscribe_form_names_topics_in_plain_words_and_keeps_the_input_next_to_its_errors(notifications, nc):
    await sites_and_a_series(nc, notifications)
    german = httpx.get(notifications.url + "/abonnieren").text
    for label in (
        "Störungen am WLAN-Hotspot Kirchplatz",
        "Störungen am WLAN-Hotspot Rathaus",
        "Neue Termine der Reihe „Handwerker-Frühstück“",
        "Fairtrade-Neuigkeiten",
        "Neu im Verzeichnis",
    ):
        assert label in german, label
    english = httpx.get(notifications.url + "/abonnieren?lang=en").text
    assert "Outages at the Wi-Fi hotspot Kirchplatz" in english and "New dates of the series" in english
    assert not TYPE_STRING.search(visible_text(german + english))

    with httpx.Client(base_url=notifications.url, headers=HTML) as client:
        token = form_token(client, "/abonnieren")
        wrong = client.post("/abonnieren", data={"csrf_token": token, "email": "nicht-eine-adresse", "website": ""})
        assert wrong.status_code == 422
        assert 'value="nicht-eine-adresse"' in wrong.text  # the input is kept
        assert "Bitte wählen Sie aus, worüber Sie Nachrichten erhalten möchten." in wrong.text
        assert "Bitte geben Sie eine gültige E-Mail-Adresse ein" in wrong.text
        assert "Bitte stimmen Sie zu, damit wir Ihnen Mails schicken dürfen." in wrong.text
        chosen = f"wlan:{KIRCHPLATZ}"
        kept = client.post("/abonnieren", data={"csrf_token": token, "topic": chosen, "email": "x"})
        assert re.search(rf'value="{chosen}"\s+checked', kept.text), "the chosen topic is kept"
        forged = client.post("/abonnieren", data={"csrf_token": "forged", "email": "a@example.org"})
        assert forged.status_code == 403


async def test_someone_subscribes_confirms_with_one_button_and_unsubscribes_with_one_click_on_the_pages(
    notifications, nc, smtp
):
    await sites_and_a_series(nc, notifications)
    with httpx.Client(base_url=notifications.url, headers=HTML, follow_redirects=True) as client:
        token = form_token(client, "/abonnieren?lang=en")
        data = {"csrf_token": token, "topic": f"wlan:{RATHAUS}", "email": "eva@example.org", "consent": "on"}
        done = client.post("/abonnieren", data=data)
    assert done.status_code == 200 and "Please confirm your address: we have sent you an email." in done.text
    assert await until(lambda: smtp.to("eva@example.org"))
    (mail,) = smtp.to("eva@example.org")
    assert mail["Subject"] == "Please confirm your subscription"
    confirm_url = link(mail, "confirm")
    assert urlsplit(confirm_url).path == "/abonnieren/bestaetigen"

    page = httpx.get(confirm_url, headers=HTML)  # what a mail scanner does: changes nothing
    assert "Outages at the Wi-Fi hotspot Rathaus" in page.text and "Confirm subscription" in page.text
    assert "Thank you! Your subscription is confirmed." in press(confirm_url).text
    assert "Already confirmed" in httpx.get(confirm_url, headers=HTML).text

    await publish(nc, HotspotStatusChanged(hotspot_id=RATHAUS, previous=None, status="down", since=utcnow()))
    assert await until(lambda: len(smtp.to("eva@example.org")) == 2)
    outage = smtp.to("eva@example.org")[1]
    assert outage["Subject"] == "Wi-Fi hotspot Rathaus is now down." and RATHAUS not in str(outage)
    unsubscribe_url = link(outage, "unsubscribe")
    assert outage["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert outage["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop sending me news" in httpx.get(unsubscribe_url, headers=HTML).text
    assert "You are unsubscribed" in press(unsubscribe_url).text
    assert "You are unsubscribed" in httpx.get(unsubscribe_url, headers=HTML).text
    assert httpx.get(unsubscribe_url.replace("token=", "token=x"), headers=HTML).status_code == 404

    # An expired confirmation link: the page offers a new one, sent to the subscription's address.
    with httpx.Client(base_url=notifications.url, headers=HTML, follow_redirects=True) as client:
        token = form_token(client, "/abonnieren")
        data = {"csrf_token": token, "topic": "fairtrade", "email": "fritz@example.org", "consent": "on"}
        assert client.post("/abonnieren", data=data).status_code == 200
    assert await until(lambda: smtp.to("fritz@example.org"))
    fresh = link(smtp.to("fritz@example.org")[0], "confirm")
    abo = parse_qs(urlsplit(fresh).query)["abo"][0]
    expired = domain.confirm_token(KEY, abo, int(time.time()) - 60)
    expired_url = f"{notifications.url}/abonnieren/bestaetigen?abo={abo}&token={expired}"
    assert "Link abgelaufen – neuen Link anfordern" in httpx.get(expired_url, headers=HTML).text
    again = press(expired_url)
    assert "Bitte bestätigen Sie Ihre Adresse" in again.text
    # one confirmation mail per address and window: the new link waits for the window (no second mail now)
    assert len(smtp.to("fritz@example.org")) == 1
