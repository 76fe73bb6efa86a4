"""The office's console pages of the directory over HTTP, against the service as a real process on SQLite
and PostgreSQL: the review queue, one profile with its decisions (publish, approve, send back with a note
the owner reads, archive after a confirmation), the office's edit, the list of all profiles, and the gate:
the office signs in with a console session (the cookie `hallobot_verwaltung`, minted by
tests/support/console.py as notifications does at a login); without one, or with only a bearer token,
a page sends the browser to the login; a role without the directory's area gets 403, and so does a
form without its CSRF token."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from services.directory import queries
from shared.console.access import SESSION_COOKIE
from tests.directory.conftest import OPERATOR, anonymous, events_of, owner, published, register
from tests.directory.search_data import add_published
from tests.support.console import console_session
from tests.support.services import ServiceProcess

QUEUE = "/verwaltung/verzeichnis"


@pytest.fixture(scope="module")
def directory(directory_any_db):
    """The review reads and decides on both databases (one service process each, shared by the module)."""
    return directory_any_db


def session_cookie(service: ServiceProcess, role: str) -> str:
    """A console session of `role` (minted in a thread: the async tests run inside an event loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(console_session, service, role).result()


def console(directory, role: str = "office") -> httpx.Client:
    """The office's browser: keeps cookies, asks for pages, signed in to the console with `role`."""
    cookies = {SESSION_COOKIE: session_cookie(directory.process, role)}
    return httpx.Client(base_url=directory.url, timeout=15, headers={"accept": "text/html"}, cookies=cookies)


@contextmanager
def owner_browser(directory, edit_token: str) -> Iterator[httpx.Client]:
    """The owner's browser, signed in through the mail's link."""
    with httpx.Client(base_url=directory.url, timeout=15, headers={"accept": "text/html", **anonymous()}) as client:
        assert client.get("/verzeichnis/eintrag/zugang", params={"token": edit_token}).status_code == 303
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def post(client: httpx.Client, path: str, page: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf(page), **fields})


def section(page: str, heading_id: str) -> str:
    """The part of a page under one heading (up to the next section)."""
    start = page.index(f'id="{heading_id}"')
    end = page.find("<section", start)
    return page[start : end if end > 0 else len(page)]


async def test_the_queue_lists_new_profiles_oldest_first_and_changes_with_what_changed(directory):
    with directory.client() as api, console(directory) as office:
        first = register(api, name=unique("Erster <Laden>"))
        second = register(api, name=unique("Zweiter Laden"))
        shop = published(api, name=unique("Weltladen"))
        edited = api.patch(
            f"/businesses/{shop['id']}",
            json={"description": "Neu: fairer Kaffee und Tee."},
            headers=owner(shop["edit_token"]),
        )
        assert edited.status_code == 200 and edited.json()["pending_change"]
        page = office.get(QUEUE)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        new = section(page.text, "neu")
        escaped = first["name"].replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in new and first["name"] not in new  # the owner's text, never markup
        assert new.index(escaped) < new.index(second["name"])  # the longest waiting first
        assert "Einzelhandel" in new and "einzelhandel" not in new
        changes = section(page.text, "aenderungen")
        assert shop["name"] in changes and "Beschreibung" in changes and shop["name"] not in new
        english = office.get(QUEUE, params={"lang": "en"})
        assert '<html lang="en">' in english.text and "New listings" in english.text


async def test_publishing_from_the_profile_page_puts_it_in_the_public_directory(directory):
    with directory.client() as api, console(directory) as office:
        created = register(api, name=unique("Kaffeerösterei Probe"))
        page = office.get(f"{QUEUE}/{created['id']}")
        assert page.status_code == 200 and "Wartet auf Prüfung" in page.text
        assert "Handwerksbäckerei mit Brot" in page.text and created["edit_token"] not in page.text
        done = post(office, f"{QUEUE}/{created['id']}/veroeffentlichen", page.text)
        assert done.status_code == 303 and done.headers["location"] == f"{QUEUE}?erledigt=veroeffentlicht"
        assert "Der Eintrag ist veröffentlicht." in office.get(done.headers["location"]).text
        assert created["name"] not in section(office.get(QUEUE).text, "neu")
    public = httpx.get(f"{directory.url}/verzeichnis", params={"q": created["name"]}, headers={"accept": "text/html"})
    assert public.status_code == 200 and f'href="/verzeichnis/{created["id"]}"' in public.text


async def test_a_new_profile_sent_back_shows_the_note_to_its_owner_and_returns_when_the_owner_saves(directory):
    with directory.client() as api, console(directory) as office:
        created = register(api, name=unique("Blumen Becker"))
        page = office.get(f"{QUEUE}/{created['id']}")
        empty = post(office, f"{QUEUE}/{created['id']}/zurueckgeben", page.text, note="")
        assert empty.status_code == 422 and 'id="e-note"' in empty.text and "error-summary" in empty.text
        note = "Bitte schreiben Sie <b>Ihre</b> Öffnungszeiten dazu."
        sent = post(office, f"{QUEUE}/{created['id']}/zurueckgeben", page.text, note=note)
        assert sent.status_code == 303 and sent.headers["location"] == f"{QUEUE}?erledigt=zurueckgegeben"
        queue = office.get(QUEUE).text
        assert created["name"] not in section(queue, "neu") and created["name"] in section(queue, "zurueck")
        with owner_browser(directory, created["edit_token"]) as browser:
            mine = browser.get("/verzeichnis/eintrag")
            assert "Nachricht des Amts" in mine.text and "Bitte schreiben Sie &lt;b&gt;Ihre&lt;/b&gt;" in mine.text
            english = browser.get("/verzeichnis/eintrag", params={"lang": "en"})
            assert "Message from the office" in english.text
            form = {
                "name": created["name"],
                "category": "einzelhandel",
                "city": "Bottrop",
                "owner_email": "inhaberin@example.org",
            }
            saved = post(browser, "/verzeichnis/eintrag", mine.text, **form, mo_von="09:00", mo_bis="18:00")
            assert saved.status_code == 303
        assert created["name"] in section(office.get(QUEUE).text, "neu")  # back for the office to look again
        history = api.get(f"/businesses/{created['id']}/changes", headers=OPERATOR).json()
        assert history[0]["status"] == "rejected" and history[0]["note"] == note
        assert history[0]["fields"]["name"] == created["name"]  # what the office saw
    subject = f"hallobot.private.directory.business.owner_notice.{created['id']}"
    (notice,) = [e["data"] for e in await events_of(directory.nats_url, "PRIVATE", subject, 1)]
    assert (notice["kind"], notice["note"], notice["email"]) == ("returned", note, "inhaberin@example.org")


async def test_an_owners_change_is_approved_or_sent_back_with_a_note_the_owner_reads(directory):
    with directory.client() as api, console(directory) as office:
        shop = published(api, name=unique("Teeladen"))
        token = owner(shop["edit_token"])
        api.patch(
            f"/businesses/{shop['id']}", json={"description": "Jetzt bestätigen: https://evil.example"}, headers=token
        )
        page = office.get(f"{QUEUE}/{shop['id']}")
        assert "Jetzt im Verzeichnis" in page.text and "Jetzt bestätigen: https://evil.example" in page.text
        change = re.search(r'name="change" value="([0-9a-f-]+)"', page.text).group(1)
        rejected = post(
            office, f"{QUEUE}/{shop['id']}/zurueckgeben", page.text, note="Keine Links zu Fremdseiten.", change=change
        )
        assert rejected.status_code == 303
        again = post(office, f"{QUEUE}/{shop['id']}/freigeben", page.text, change=change)
        assert again.status_code == 409 and "inzwischen geändert" in again.text  # decided already
        with owner_browser(directory, shop["edit_token"]) as browser:
            mine = browser.get("/verzeichnis/eintrag").text
            assert "Keine Links zu Fremdseiten." in mine and "Ihre Änderung hat das Amt nicht übernommen" in mine
        api.patch(f"/businesses/{shop['id']}", json={"description": "Fairer Tee aus Darjeeling."}, headers=token)
        page = office.get(f"{QUEUE}/{shop['id']}")
        change = re.search(r'name="change" value="([0-9a-f-]+)"', page.text).group(1)
        approved = post(office, f"{QUEUE}/{shop['id']}/freigeben", page.text, change=change)
        assert approved.status_code == 303 and approved.headers["location"] == f"{QUEUE}?erledigt=freigegeben"
        assert api.get(f"/businesses/{shop['id']}").json()["description"] == "Fairer Tee aus Darjeeling."
        with owner_browser(directory, shop["edit_token"]) as browser:
            mine = browser.get("/verzeichnis/eintrag").text
            assert "Keine Links zu Fremdseiten." not in mine  # the office's last word was yes
    subject = f"hallobot.private.directory.business.owner_notice.{shop['id']}"
    notices = [e["data"] for e in await events_of(directory.nats_url, "PRIVATE", subject, 2)]
    assert [(n["kind"], n["note"]) for n in notices] == [
        ("published", None),
        ("change_rejected", "Keine Links zu Fremdseiten."),  # the mail with the note; none for the approval
    ]


async def test_archiving_asks_first_and_then_takes_the_profile_out_for_good(directory):
    with directory.client() as api, console(directory) as office:
        shop = published(api, name=unique("Altwaren"))
        page = office.get(f"{QUEUE}/{shop['id']}")
        assert f'href="{QUEUE}/{shop["id"]}/archivieren"' in page.text
        confirm = office.get(f"{QUEUE}/{shop['id']}/archivieren")
        assert confirm.status_code == 200 and "lässt sich nicht rückgängig machen" in confirm.text
        assert api.get(f"/businesses/{shop['id']}").status_code == 200  # asking changed nothing
        done = post(office, f"{QUEUE}/{shop['id']}/archivieren", confirm.text)
        assert done.status_code == 303 and done.headers["location"] == f"{QUEUE}/{shop['id']}?erledigt=archiviert"
        after = office.get(done.headers["location"]).text
        assert "Der Eintrag ist archiviert." in after and "Archiviert" in after and "/veroeffentlichen" not in after
        assert api.get(f"/businesses/{shop['id']}").status_code == 404
        assert office.get(f"{QUEUE}/{shop['id']}/bearbeiten").status_code == 404
        unknown = post(office, f"{QUEUE}/{uuid.uuid4()}/archivieren", confirm.text)
        assert unknown.status_code == 404 and "Diesen Eintrag gibt es nicht." in unknown.text


async def test_the_office_edit_keeps_the_input_on_an_error_and_saves_without_touching_a_waiting_change(directory):
    with directory.client() as api, console(directory) as office:
        shop = published(api, name=unique("Metzgerei"))
        api.patch(
            f"/businesses/{shop['id']}",
            json={"description": "Neue Wurst im Angebot."},
            headers=owner(shop["edit_token"]),
        )
        form_page = office.get(f"{QUEUE}/{shop['id']}/bearbeiten")
        assert form_page.status_code == 200 and "wartet auf Prüfung" in form_page.text
        assert 'name="phone" type="tel" value="02041 123456"' in form_page.text
        fields = dict(
            re.findall(
                r'<input id="f-[^"]+" name="([^"]+)" type="(?:text|tel|email|time)" value="([^"]*)"', form_page.text
            )
        )
        fields |= {
            "category": "einzelhandel",
            "owner_language": "de",
            "description": "Handwerksbäckerei mit Brot, Brötchen und Kuchen aus eigener Backstube.",
            "offerings": "Brot\nKuchen\nKaffee",
            "sells_gutschein": "on",
        }
        wrong = post(
            office,
            f"{QUEUE}/{shop['id']}/bearbeiten",
            form_page.text,
            **fields | {"postal_code": "4623", "phone": "02041 999"},
        )
        assert wrong.status_code == 422 and 'id="e-postal_code"' in wrong.text and 'value="4623"' in wrong.text
        assert 'value="02041 999"' in wrong.text
        saved = post(office, f"{QUEUE}/{shop['id']}/bearbeiten", form_page.text, **fields | {"phone": "02041 999"})
        assert saved.status_code == 303 and saved.headers["location"] == f"{QUEUE}/{shop['id']}?erledigt=gespeichert"
        after = api.get(f"/businesses/{shop['id']}", headers=OPERATOR).json()
        assert after["phone"] == "02041 999" and after["sells_gutschein"]
        assert after["pending_change"]["fields"] == {"description": "Neue Wurst im Angebot."}  # still waits


async def test_the_list_of_all_profiles_filters_by_status_and_words(directory):
    with directory.client() as api, console(directory) as office:
        name = unique("Hutmacherei")
        created = register(api, name=name)
        found = office.get(f"{QUEUE}/eintraege", params={"q": name.split()[-1], "status": "pending"})
        assert found.status_code == 200 and name in found.text and "Wartet auf Prüfung" in found.text
        published_only = office.get(f"{QUEUE}/eintraege", params={"q": name.split()[-1], "status": "published"})
        assert name not in published_only.text
        odd = office.get(f"{QUEUE}/eintraege", params={"status": "irgendwas", "seite": "zwei"})
        assert odd.status_code == 200  # ignored, as on the public search: every status, the first page
        assert f'href="{QUEUE}/{created["id"]}"' in odd.text


async def test_the_list_of_all_profiles_counts_exactly_past_the_public_searchs_bound(directory):
    word = unique("Allerlei").replace(" ", "")
    add_published(directory.database_url, word, queries.SEARCH_COUNT_CAP + 5)
    with console(directory) as office:
        listed = office.get(f"{QUEUE}/eintraege", params={"q": word}).text
    assert "205 Einträge" in listed and "Seite 1 von 5" in listed and "Mehr als" not in listed


async def test_without_a_session_a_browser_goes_to_the_login_and_a_form_without_csrf_is_refused(directory):
    with directory.client() as api:
        created = register(api, name=unique("Ohne Zugang"))
    paths = [
        QUEUE,
        f"{QUEUE}/eintraege",
        f"{QUEUE}/{created['id']}",
        f"{QUEUE}/{created['id']}/bearbeiten",
        "/verwaltung/fairtrade",
    ]
    with httpx.Client(base_url=directory.url, timeout=15, headers={"accept": "text/html"}) as stranger:
        for path in paths:
            page = stranger.get(path)
            assert page.status_code == 303, path
            assert page.headers["location"] == f"/verwaltung/anmelden?weiter={path}"
        listed = stranger.get(f"{QUEUE}/eintraege", params={"status": "pending"})
        assert listed.headers["location"] == f"/verwaltung/anmelden?weiter={QUEUE}/eintraege%3Fstatus%3Dpending"
        sent = stranger.post(f"{QUEUE}/{created['id']}/veroeffentlichen")
        assert sent.status_code == 303 and sent.headers["location"].startswith("/verwaltung/anmelden?weiter=")
        for credential in ({"Authorization": "Bearer falsch"}, OPERATOR):  # a bearer token is not a session
            answer = stranger.get(QUEUE, headers=credential)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/verwaltung/anmelden")
        stranger.cookies.set(SESSION_COOKIE, "falsch.unterschrieben")  # not signed under the site's secret
        assert stranger.get(QUEUE).status_code == 303
    with console(directory) as office:
        office.get(QUEUE)  # the CSRF cookie is set, but the form's token is missing
        forged = office.post(f"{QUEUE}/{created['id']}/veroeffentlichen", data={})
        assert forged.status_code == 403 and "Das Formular ist abgelaufen" in forged.text
    with directory.client() as api:
        assert api.get(f"/businesses/{created['id']}", headers=OPERATOR).json()["status"] == "pending"


async def test_a_role_without_the_directory_gets_a_refusal_page_and_decides_nothing(directory):
    with directory.client() as api:
        created = register(api, name=unique("Nicht für das WLAN"))
    with console(directory) as office:
        assert office.get(f"{QUEUE}/{created['id']}").status_code == 200  # the office's role has the directory
    with console(directory, role="wifi") as wifi_staff:
        form = wifi_staff.get("/verzeichnis/eintragen")  # a form this browser may use: its CSRF cookie and token
        for path in (QUEUE, f"{QUEUE}/{created['id']}", "/verwaltung/fairtrade"):
            page = wifi_staff.get(path)
            assert page.status_code == 403 and "Dieser Bereich gehört nicht zu Ihrer Rolle" in page.text, path
            assert created["name"] not in page.text
        sent = post(wifi_staff, f"{QUEUE}/{created['id']}/veroeffentlichen", form.text)
        assert sent.status_code == 403 and "Dieser Bereich gehört nicht zu Ihrer Rolle" in sent.text
    with console(directory, role="admin") as admin:
        assert admin.get(QUEUE).status_code == 200
    with directory.client() as api:
        assert api.get(f"/businesses/{created['id']}", headers=OPERATOR).json()["status"] == "pending"
