"""The Fairtrade-Town campaign in the office's console over HTTP, against the directory as a real process
(its own, so the campaign starts empty): each form adds its record and the criteria follow, as the public
JSON says; errors stay at their fields with the input kept; the title's dates; the gate (a console session
with the directory's area, and the CSRF token)."""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from datetime import date

import httpx

from tests.directory.conftest import OPERATOR
from tests.directory.test_pages_console import console, csrf

CAMPAIGN = "/verwaltung/fairtrade"


def criterion(directory, name: str) -> dict:
    state = httpx.get(f"{directory.url}/fairtrade", headers={"accept": "application/json"}).json()
    return next(c for c in state["criteria"] if c["criterion"] == name)


def send(office: httpx.Client, path: str, **fields: str) -> httpx.Response:
    page = office.get(CAMPAIGN)
    return office.post(path, data={"csrf_token": csrf(page.text), **fields})


async def test_an_action_added_on_the_page_counts_for_the_civil_society_criterion_and_can_be_deleted(directory):
    today = date.today().isoformat()
    with console(directory) as office:
        page = office.get(CAMPAIGN)
        assert page.status_code == 200 and "Kitas, Schulen, Vereine und Kirchen" in page.text
        assert criterion(directory, "civil_society")["count"] == 0
        missing = send(office, CAMPAIGN + "/aktionen", kind="school", organisation="Josef-Albers-Gymnasium", held_on="")
        assert missing.status_code == 422 and 'id="e-action"' in missing.text and 'id="e-held_on"' in missing.text
        assert 'value="Josef-Albers-Gymnasium"' in missing.text and "error-summary" in missing.text
        added = send(
            office, CAMPAIGN + "/aktionen", kind="school", organisation="Josef-Albers-Gymnasium",
            action="Fairer Pausenverkauf", held_on=today,
        )  # fmt: skip
        assert added.status_code == 303 and added.headers["location"] == CAMPAIGN + "?erledigt=aktion"
        after = office.get(added.headers["location"]).text
        assert "Die Aktion ist eingetragen." in after and "Fairer Pausenverkauf" in after
        assert "Kitas und Schulen: 1 von 1" in after
        assert criterion(directory, "civil_society")["count"] == 1
        action_id = httpx.get(f"{directory.url}/fairtrade", headers={"accept": "application/json"}).json()["actions"][
            0
        ]["id"]
        deleted = send(office, f"{CAMPAIGN}/aktionen/{action_id}/loeschen")
        assert deleted.status_code == 303 and criterion(directory, "civil_society")["count"] == 0
        again = send(office, f"{CAMPAIGN}/aktionen/{action_id}/loeschen")
        assert again.status_code == 404 and "Diesen Eintrag gibt es nicht mehr." in again.text


async def test_press_steering_group_and_council_resolution_meet_their_criteria(directory):
    with console(directory) as office:
        for n in range(4):
            article = send(
                office, CAMPAIGN + "/presse", title=f"Bottrop wird fair, Teil {n + 1}", outlet="WAZ Bottrop",
                url="", published_on=date.today().isoformat(),
            )  # fmt: skip
            assert article.status_code == 303
        assert criterion(directory, "press")["met"]
        two = send(office, CAMPAIGN + "/steuerungsgruppe", steering_group="Weltladen Bottrop\nStadtverwaltung")
        assert two.status_code == 303 and not criterion(directory, "steering_group")["met"]
        members = "Weltladen Bottrop\nStadtverwaltung\nEvangelische Kirchengemeinde\n"
        three = send(office, CAMPAIGN + "/steuerungsgruppe", steering_group=members)
        assert three.status_code == 303 and criterion(directory, "steering_group")["met"]
        assert "Evangelische Kirchengemeinde</textarea>" in office.get(CAMPAIGN).text
        council = send(
            office, CAMPAIGN + "/ratsbeschluss", council_resolution_on="2025-03-12",
            council_resolution_text="Der Rat unterstützt die Kampagne Fairtrade-Stadt.",
        )  # fmt: skip
        assert council.status_code == 303 and criterion(directory, "council_resolution")["met"]
        page = office.get(CAMPAIGN).text
        assert 'value="2025-03-12"' in page and "Der Rat unterstützt" in page
        wrong = send(office, CAMPAIGN + "/einwohner", population="rund 117 Tausend")
        assert (
            wrong.status_code == 422 and 'id="e-population"' in wrong.text and 'value="rund 117 Tausend"' in wrong.text
        )
        assert send(office, CAMPAIGN + "/einwohner", population="117.000").status_code == 303
        assert criterion(directory, "retail_gastronomy")["target"] == 22 + 11  # German thousands: Bottrop's figures
        assert send(office, CAMPAIGN + "/einwohner", population="240000").status_code == 303
        assert criterion(directory, "retail_gastronomy")["target"] == 35 + 18 - 1  # 250,000 → 35/18, interpolated


async def test_the_title_is_recorded_with_its_renewal_date_and_a_renewal_needs_an_award_first(directory):
    with console(directory) as office:
        early = send(office, CAMPAIGN + "/titel", title_kind="renewed", title_on="2025-01-10")
        assert early.status_code == 422 and "erst nach der ersten Verleihung" in early.text
        assert '<option value="renewed" selected>' in early.text
        awarded = send(office, CAMPAIGN + "/titel", title_kind="awarded", title_on="2025-01-10")
        assert awarded.status_code == 303
        page = office.get(CAMPAIGN, params={"lang": "en"}).text
        assert "Renewal due by" in page and "10 January 2027" in page
        state = httpx.get(f"{directory.url}/fairtrade", headers={"accept": "application/json"}).json()
        assert state["title_awarded_on"] == "2025-01-10" and state["title_expires_on"] == "2027-01-10"


async def test_the_campaign_forms_need_a_session_with_the_directory_and_the_csrf_token(directory):
    with httpx.Client(base_url=directory.url, timeout=15, headers={"accept": "text/html"}) as stranger:
        refused = stranger.post(CAMPAIGN + "/steuerungsgruppe", data={"steering_group": "Jemand"})
        assert refused.status_code == 303
        assert refused.headers["location"] == "/verwaltung/anmelden?weiter=/verwaltung/fairtrade/steuerungsgruppe"
    with console(directory, role="events") as events_staff:
        form = events_staff.get("/verzeichnis/eintragen")  # its own CSRF cookie and token
        refused = events_staff.post(
            CAMPAIGN + "/steuerungsgruppe", data={"csrf_token": csrf(form.text), "steering_group": "Jemand"}
        )
        assert refused.status_code == 403 and "Dieser Bereich gehört nicht zu Ihrer Rolle" in refused.text
    with console(directory) as office:
        office.get(CAMPAIGN)
        forged = office.post(CAMPAIGN + "/steuerungsgruppe", data={"steering_group": "Jemand"})
        assert forged.status_code == 403
    state = httpx.get(f"{directory.url}/fairtrade", headers={"accept": "application/json"}).json()
    assert "Jemand" not in state["steering_group"]


async def test_a_steering_group_meeting_is_recorded_on_the_page_listed_and_kept_in_the_history(directory):
    today = date.today().isoformat()
    with console(directory) as office:
        missing = send(office, CAMPAIGN + "/sitzungen", meeting_on=today, topic="Planung der Fairen Woche")
        assert missing.status_code == 422 and 'id="e-attendees"' in missing.text
        assert "Planung der Fairen Woche</textarea>" in missing.text
        added = send(
            office, CAMPAIGN + "/sitzungen", meeting_on=today, topic="Planung der Fairen Woche", attendees="7"
        )  # fmt: skip
        assert added.status_code == 303 and added.headers["location"] == CAMPAIGN + "?erledigt=sitzung"
        page = office.get(added.headers["location"]).text
        assert "Die Sitzung ist eingetragen." in page and "Planung der Fairen Woche (7 Teilnehmende)" in page
    period = {"start": today, "end": today}
    history = httpx.get(f"{directory.url}/fairtrade/records", params=period, headers=OPERATOR).json()
    assert [(m["topic"], m["attendees"]) for m in history["meetings"]] == [("Planung der Fairen Woche", 7)]
    assert httpx.get(f"{directory.url}/fairtrade/records", params=period).status_code == 401


def pdf_text(document: bytes) -> str:
    """The drawing operators of a PDF's pages, text included (reportlab writes them ASCII85 over zlib)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", document, re.S)
    return "".join(zlib.decompress(base64.a85decode(s.strip(), adobe=True)).decode("latin-1") for s in streams)


async def test_the_renewal_dossier_over_two_years_holds_every_record_and_the_title_history(directory):
    api = httpx.Client(base_url=directory.url, headers=OPERATOR, timeout=15)
    for kind, on in (("awarded", "2021-11-26"), ("renewed", "2023-11-26"), ("renewed", "2025-11-26")):
        assert api.post("/fairtrade/title", json={"kind": kind, "on": on}).status_code == 200
    actions = [("kita", "Kita Sonnenschein", "2025-03-02"), ("school", "Realschule Kirchhellen", "2026-05-04")]
    for kind, organisation, on in [*actions, ("association", "Alter Verein", "2024-06-01")]:  # the last: before
        body = {"kind": kind, "organisation": organisation, "action": "Faires Fest", "held_on": on}
        assert api.post("/fairtrade/actions", json=body).status_code == 201
    press = {"title": "Bottrop bleibt fair", "outlet": "Stadtspiegel", "published_on": "2025-12-01"}
    assert api.post("/fairtrade/press", json=press).status_code == 201
    for on, topic, attendees in (("2025-02-10", "Jahresplanung", 6), ("2026-02-09", "Erneuerungsbericht", 5)):
        body = {"held_on": on, "topic": topic, "attendees": attendees}
        assert api.post("/fairtrade/meetings", json=body).status_code == 201
    period = {"von": "2024-12-01", "bis": "2026-06-30"}  # the other tests record today
    with console(directory) as office:
        page = office.get(CAMPAIGN + "/dossier", params=period)
        assert page.status_code == 200 and "Kita Sonnenschein" in page.text and "Alter Verein" not in page.text
        assert "Kitas und Schulen" in office.get(CAMPAIGN).text
        default = office.get(CAMPAIGN + "/dossier").text  # the two years before the next renewal
        assert "Dossier zur Erneuerung, 26.11.2025 bis 26.11.2027" in default
        assert "Kita Sonnenschein" not in default and "Realschule Kirchhellen" in default
        backwards = office.get(CAMPAIGN + "/dossier", params={"von": "2026-01-01", "bis": "2025-01-01"})
        assert (
            backwards.status_code == 422 and 'id="e-bis"' in backwards.text and 'value="2025-01-01"' in backwards.text
        )
        assert office.get(CAMPAIGN + "/dossier.csv", params={"von": "1.13.2025"}).status_code == 422
        figures = office.get(CAMPAIGN + "/dossier.csv", params=period)
        document = office.get(CAMPAIGN + "/dossier.pdf", params=period)
    assert figures.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(figures.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Kennzahl", "Jahr", "Anzahl", "Ziel"]
    table = {(name, year): value for name, year, value, _target in rows[1:]}
    assert table["Aktionen von Kitas", "2025"] == "1" and table["Aktionen von Schulen", "2026"] == "1"
    assert table["Aktionen von Vereinen", "gesamt"] == "0" and table["Presseartikel", "2025"] == "1"
    assert table["Sitzungen der Steuerungsgruppe", "gesamt"] == "2"
    assert table["Teilnahmen an Sitzungen der Steuerungsgruppe", "gesamt"] == "11"
    assert any(name == "Kriterium: Kitas, Schulen, Vereine und Kirchen" for name, *_ in rows)
    assert document.headers["content-type"] == "application/pdf" and document.content.startswith(b"%PDF")
    text = pdf_text(document.content)
    for expected in ("Kita Sonnenschein", "Realschule Kirchhellen", "Bottrop bleibt fair", "Jahresplanung"):
        assert expected in text, expected
    assert "Erneuerungsbericht" in text and "26.11.2021" in text and "26.11.2025" in text
    assert "Alter Verein" not in text
    public = httpx.get(f"{directory.url}/fairtrade", headers={"accept": "text/html"}).text
    assert "Der Titel im Lauf der Jahre" in public and "26. November 2023" in public
