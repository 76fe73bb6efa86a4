"""The sign-up and the owner's pages over HTTP, against the directory as a real process: the two
steps with the answers to check, errors next to their fields with the input kept, honeypot and CSRF,
the edit link exchanged once for a session cookie, saving, and "send me my link again"."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.directory.conftest import OPERATOR, anonymous, events_of

SIGN_UP = "/verzeichnis/eintragen"


def browser(directory) -> httpx.Client:
    """A client that keeps cookies like a browser, from its own (random) address."""
    return httpx.Client(base_url=directory.url, timeout=15, headers={"accept": "text/html", **anonymous()})


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


def answers(**overrides) -> dict:
    return {
        "name": "Blumen Becker",
        "category": "einzelhandel",
        "street": "Hansastraße 5",
        "postal_code": "46236",
        "city": "Bottrop",
        "owner_email": f"becker-{uuid.uuid4().hex[:8]}@example.org",
    } | overrides


def sign_up(client: httpx.Client, **overrides) -> tuple[dict, httpx.Response]:
    token = csrf(client.get(SIGN_UP).text)
    sent = answers(**overrides)
    check = client.post(SIGN_UP, data=sent | {"csrf_token": token, "homepage": ""})
    assert check.status_code == 200, check.text
    done = client.post(SIGN_UP + "/absenden", data=sent | {"csrf_token": token, "homepage": "", "absenden": "1"})
    return sent, done


async def notices_to(directory, address: str, expected: int) -> list[dict]:
    bodies = await events_of(directory.nats_url, "PRIVATE", "hallobot.private.directory.>", expected)
    return [b["data"] for b in bodies if b["data"]["email"] == address]


def token_of(notice: dict) -> str:
    url = urlsplit(notice["edit_url"])
    assert url.path == "/verzeichnis/eintrag/zugang"
    return parse_qs(url.query)["token"][0]


async def test_the_first_step_asks_six_things_then_shows_the_answers_to_check_before_sending(directory):
    with browser(directory) as client:
        form = client.get(SIGN_UP)
        assert form.status_code == 200 and "Ihr Betrieb bei HalloBot – kostenlos eintragen" in form.text
        assert len(re.findall(r"<(?:input|select)[^>]* required", form.text)) == 6
        assert "Einzelhandel" in form.text and "einzelhandel</option>" not in form.text  # plain words, no slugs
        token = csrf(form.text)
        sent = answers(name="Blumen <Becker>")
        check = client.post(SIGN_UP, data=sent | {"csrf_token": token})
        assert check.status_code == 200 and "Stimmen Ihre Angaben?" in check.text
        assert "Blumen &lt;Becker&gt;" in check.text and sent["owner_email"] in check.text
        assert 'name="street" value="Hansastraße 5"' in check.text  # carried in hidden fields
        changed = client.post(SIGN_UP + "/absenden", data=sent | {"csrf_token": token, "aendern": "1"})
        assert changed.status_code == 200 and 'id="f-postal_code" name="postal_code" type="text" value="46236"' in (
            changed.text
        )
        done = client.post(SIGN_UP + "/absenden", data=sent | {"csrf_token": token, "absenden": "1"})
        assert done.status_code == 303 and done.headers["location"] == "/verzeichnis/eintragen/danke"
        thanks = client.get(done.headers["location"])
        assert "Wir prüfen Ihren Eintrag, meist innerhalb von zwei Werktagen" in thanks.text
        assert "E-Mail mit dem Link" in thanks.text
        # nothing was stored before "Absenden": one pending profile, self-registered, in the owner's language
        found = client.get("/businesses", params={"status": "pending", "q": "Becker"}, headers=OPERATOR).json()
        mine = [b for b in found["items"] if b["owner_email"] == sent["owner_email"]]
        assert len(mine) == 1 and mine[0]["self_registered"] and mine[0]["owner_language"] == "de"
    (notice,) = await notices_to(directory, sent["owner_email"], 1)
    assert notice["kind"] == "registered" and notice["business_id"] == mine[0]["id"]
    assert notice["profile_url"] is None and token_of(notice).startswith("hbe_")


async def test_errors_are_shown_at_their_field_and_every_answer_is_kept(directory):
    with browser(directory) as client:
        token = csrf(client.get(SIGN_UP + "?lang=en").text)
        sent = answers(street="", owner_email="becker-at-example.org", postal_code="4623")
        answer = client.post(SIGN_UP, data=sent | {"csrf_token": token})
        assert answer.status_code == 422
        for field in ("street", "owner_email", "postal_code"):
            assert f'id="e-{field}"' in answer.text
        assert "valid email address" in answer.text  # in the page's language
        assert 'value="becker-at-example.org"' in answer.text and 'value="Blumen Becker"' in answer.text
        assert '<option value="einzelhandel" selected>' in answer.text


async def test_a_filled_honeypot_or_a_missing_csrf_token_creates_nothing(directory):
    with browser(directory) as client:
        token = csrf(client.get(SIGN_UP).text)
        sent = answers()
        bot = client.post(SIGN_UP + "/absenden", data=sent | {"csrf_token": token, "homepage": "https://spam.example"})
        assert bot.status_code == 422
        forged = client.post(SIGN_UP + "/absenden", data=sent)
        assert forged.status_code == 403 and "Das Formular ist abgelaufen" in forged.text
        found = client.get("/businesses", params={"status": "all", "per_page": 100}, headers=OPERATOR).json()
        assert sent["owner_email"] not in [b["owner_email"] for b in found["items"]]


async def test_the_edit_link_is_exchanged_for_a_session_cookie_and_the_owner_completes_the_profile(directory):
    with browser(directory) as signing_up:
        sent, _ = sign_up(signing_up)
    (notice,) = await notices_to(directory, sent["owner_email"], 1)
    with browser(directory) as client:  # another browser: only the mail's link opens the page
        assert client.get("/verzeichnis/eintrag").status_code == 401
        exchanged = client.get("/verzeichnis/eintrag/zugang", params={"token": token_of(notice)})
        assert exchanged.status_code == 303 and exchanged.headers["location"] == "/verzeichnis/eintrag"
        cookie = exchanged.headers["set-cookie"]
        assert "hallobot_eintrag=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Path=/verzeichnis/eintrag" in cookie and token_of(notice) not in cookie
        page = client.get("/verzeichnis/eintrag")
        assert page.status_code == 200 and "Blumen Becker" in page.text
        assert token_of(notice) not in page.text and page.headers["cache-control"] == "no-store"
        assert "Noch 7 Angaben bis zum vollständigen Eintrag" in page.text  # only the address is there
        assert '<progress id="fortschritt" class="progress" max="100" value="12">' in page.text
        edit = {
            **{k: v for k, v in sent.items()},
            "csrf_token": csrf(page.text),
            "description": "Frische Schnittblumen, Sträuße und Trauerfloristik aus Bottrop.",
            "offerings": "Schnittblumen\nSträuße",
            "phone": "02041 55555",
            "website": "www.blumen-becker.de",
            "mo_von": "09:00",
            "mo_bis": "18:00",
            "tu_von": "09:00",
            "tu_bis": "18:00",
            "feiertage_zu": "on",
            "pickup": "on",
            "accepts_gutschein": "on",
            "fairtrade_products": "12",
        }
        wrong = client.post("/verzeichnis/eintrag", data=edit | {"we_von": "9 Uhr"})
        assert wrong.status_code == 422 and 'id="e-we_von"' in wrong.text and 'id="e-we_bis"' in wrong.text
        assert "Frische Schnittblumen" in wrong.text and 'value="9 Uhr"' in wrong.text
        munich = client.post("/verzeichnis/eintrag", data=edit | {"latitude": "48,137", "longitude": "11.575"})
        assert munich.status_code == 422 and "Diese Lage ist nicht in Bottrop" in munich.text
        assert 'id="e-latitude"' in munich.text and 'value="48,137"' in munich.text
        saved = client.post("/verzeichnis/eintrag", data=edit)
        assert saved.status_code == 303 and saved.headers["location"] == "/verzeichnis/eintrag?gespeichert=1"
        after = client.get(saved.headers["location"])
        assert "Gespeichert." in after.text and "Noch 2 Angaben bis zum vollständigen Eintrag" in after.text
        assert 'value="75"' in after.text
    profile = httpx.get(f"{directory.url}/businesses/{notice['business_id']}", headers=OPERATOR).json()
    assert (
        profile["opening_hours"] == "Mo-Tu 09:00-18:00; PH off"
        and profile["website"] == "https://www.blumen-becker.de/"
    )
    assert profile["offerings"] == ["Schnittblumen", "Sträuße"] and profile["fairtrade_products"] == 12
    assert profile["pickup"] and profile["accepts_gutschein"] and not profile["delivery"]
    assert profile["completeness"] == 75 and profile["missing"] == ["email", "coordinates"]


async def test_asking_for_the_link_again_answers_alike_for_known_and_unknown_addresses(directory):
    with browser(directory) as client:
        sent, _ = sign_up(client)
        assert client.get("/verzeichnis/eintrag").status_code == 200  # signed in since the sign-up
    (first,) = await notices_to(directory, sent["owner_email"], 1)
    replies = []
    with browser(directory) as client:
        for address in (sent["owner_email"].upper(), f"niemand-{uuid.uuid4().hex[:8]}@example.org"):
            token = csrf(client.get("/verzeichnis/eintrag/link").text)
            replies.append(client.post("/verzeichnis/eintrag/link", data={"owner_email": address, "csrf_token": token}))
        assert [r.status_code for r in replies] == [303, 303]
        assert replies[0].headers["location"] == replies[1].headers["location"] == "/verzeichnis/eintrag/link/gesendet"
        assert replies[0].headers.get("set-cookie") is None and replies[1].headers.get("set-cookie") is None
        assert "Wenn zu dieser Adresse ein Eintrag gehört" in client.get("/verzeichnis/eintrag/link/gesendet").text
    notices = await notices_to(directory, sent["owner_email"], 2)
    assert [n["kind"] for n in notices] == ["registered", "link"]
    with browser(directory) as client:
        old = client.get("/verzeichnis/eintrag/zugang", params={"token": token_of(first)})
        assert old.status_code == 404 and "Dieser Link gilt nicht mehr" in old.text
        new = client.get("/verzeichnis/eintrag/zugang", params={"token": token_of(notices[1])})
        assert new.status_code == 303


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_the_pages_come_in_one_language(directory, lang):
    with browser(directory) as client:
        for path in (SIGN_UP, "/verzeichnis/eintrag/link", "/verzeichnis/eintrag"):
            page = client.get(path, params={"lang": lang})
            assert f'<html lang="{lang}">' in page.text
            assert ("Ihre E-Mail-Adresse" in page.text or "Ihr Eintrag" in page.text) == (lang == "de"), path


async def test_on_a_published_listing_new_text_waits_for_the_office_and_the_form_keeps_it(directory):
    with browser(directory) as client:
        sent, _ = sign_up(client)
        (notice,) = await notices_to(directory, sent["owner_email"], 1)
        published = client.post(f"/businesses/{notice['business_id']}/publish", headers=OPERATOR)
        assert published.status_code == 200
        page = client.get("/verzeichnis/eintrag")
        assert f'href="/verzeichnis/{notice["business_id"]}"' in page.text  # the listing on this site
        text = "Blumen, Pflanzen und Dekoration für jeden Anlass in Bottrop."
        edit = sent | {"csrf_token": csrf(page.text), "description": text, "phone": "02041 77777"}
        saved = client.post("/verzeichnis/eintrag", data=edit)
        assert saved.status_code == 303
        after = client.get(saved.headers["location"]).text
        assert "Das Amt prüft noch Ihre Änderungen an: Beschreibung." in after
        assert text in after  # what the owner wrote, though the public does not see it yet
        again = client.post("/verzeichnis/eintrag", data=edit | {"csrf_token": csrf(after), "phone": "02041 88888"})
        assert again.status_code == 303  # a second save of the same text keeps it waiting
    live = httpx.get(f"{directory.url}/businesses/{notice['business_id']}", headers=OPERATOR).json()
    assert live["phone"] == "02041 88888" and live["description"] == ""  # a fact goes live, the text waits
    assert live["pending_change"]["fields"] == {"description": text}


async def test_the_sign_up_shares_the_self_registration_limit_and_keeps_the_answers_when_it_is_reached(directory):
    with browser(directory) as client:  # one client address; the limit here is 3 per window
        token = csrf(client.get(SIGN_UP).text)
        api = client.post("/businesses", json={"name": "Über die API", "category": "handwerk"})
        assert api.status_code == 201  # counted like a sign-up on the page
        for _ in range(2):
            _, done = sign_up(client)
            assert done.status_code == 303
        sent = answers(name="Noch ein Laden")
        refused = client.post(SIGN_UP + "/absenden", data=sent | {"csrf_token": token, "absenden": "1"})
        assert refused.status_code == 429 and "Ihre Angaben sind nicht verloren" in refused.text
        assert 'name="name" value="Noch ein Laden"' in refused.text


async def test_asking_for_links_again_and_again_is_limited_per_client_without_naming_any_address(directory):
    with browser(directory) as client:
        token = csrf(client.get("/verzeichnis/eintrag/link").text)
        codes = [
            client.post(
                "/verzeichnis/eintrag/link", data={"owner_email": f"x{n}@example.org", "csrf_token": token}
            ).status_code
            for n in range(6)
        ]
        assert codes == [303] * 5 + [429]  # DIRECTORY_LINK_REQUEST_LIMIT, 5 per hour by default
        last = client.post("/verzeichnis/eintrag/link", data={"owner_email": "x9@example.org", "csrf_token": token})
        assert "sehr viele Anfragen" in last.text and 'value="x9@example.org"' in last.text
