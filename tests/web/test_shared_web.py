"""The shared web parts (shared/web/) on a small app: language choice, CSRF, honeypot, errors as
pages, input kept on error. Each service's pages are tested with the service."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, EmailStr, Field

from shared.config import Settings
from shared.errors import NotFound
from shared.http import install_error_handlers
from shared.web import Pages, chosen_language, read_form, see_other, validate
from shared.web.assets import router as assets
from shared.web.catalogs import PARTS, CatalogState, catalog_path, untranslated, update
from shared.web.i18n import language_of_header

TEMPLATE = """{% extends "layout.html" %}{% import "_forms.html" as f with context %}
{% block title %}{{ _("Zurück") }}{% endblock %}{% block main %}
<form method="post">{{ csrf_field }}{{ honeypot_field }}{{ f.error_summary() }}
{{ f.field("name", "Name", required=True) }}{{ f.field("email", "E-Mail", type="email", required=True) }}
<button>OK</button></form>{% endblock %}"""


class SignUp(BaseModel):
    name: str = Field(min_length=2, max_length=80)
    email: EmailStr


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    (tmp_path / "form.html").write_text(TEMPLATE)
    pages = Pages(tmp_path)
    router = APIRouter()

    @router.get("/formular")
    async def show(request: Request):
        return pages.render(request, "form.html")

    @router.post("/formular")
    async def send(request: Request):
        form = await read_form(request)
        _, errors = validate(SignUp, form, pages.gettext(chosen_language(request)))
        if errors:
            return pages.render(request, "form.html", form=form, errors=errors, status_code=422)
        return see_other("/danke")

    @router.get("/fehlt")
    async def missing():
        raise NotFound("Kein Eintrag gefunden.")

    app = FastAPI()
    app.state.settings = Settings(data_dir=tmp_path)
    app.state.pages = pages
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(assets)
    return app


def client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers)


def token_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


async def test_a_page_is_german_by_default_and_english_when_asked_and_remembers_it(app):
    async with client(app) as http:
        german = await http.get("/formular")
        assert '<html lang="de">' in german.text and "Zum Inhalt springen" in german.text
        english = await http.get("/formular?lang=en")
        assert '<html lang="en">' in english.text and "Skip to content" in english.text
        assert "Zum Inhalt" not in english.text
        again = await http.get("/formular")  # the cookie keeps the choice
        assert '<html lang="en">' in again.text


@pytest.mark.parametrize(
    ("header", "language"),
    [("en-GB,en;q=0.9", "en"), ("fr, en;q=0.5, de;q=0.8", "de"), ("", "de"), ("tlh", "de"), ("en;q=0", "de")],
)
def test_accept_language_picks_the_best_of_german_and_english(header, language):
    assert language_of_header(header) == language


async def test_a_form_without_its_csrf_token_is_refused_with_a_page_that_says_why(app):
    async with client(app, accept="text/html") as http:
        await http.get("/formular")
        answer = await http.post("/formular", data={"name": "Anna", "email": "anna@example.org"})
        assert answer.status_code == 403
        assert "Das Formular ist abgelaufen" in answer.text and "<html" in answer.text
        forged = await http.post("/formular", data={"name": "A", "email": "a@b.de", "csrf_token": "0" * 64})
        assert forged.status_code == 403


async def test_a_token_from_another_browser_is_refused(app):
    async with client(app) as first, client(app) as second:
        token = token_of((await first.get("/formular")).text)
        await second.get("/formular")
        answer = await second.post("/formular", data={"name": "Anna", "email": "a@example.org", "csrf_token": token})
        assert answer.status_code == 403


async def test_errors_are_shown_next_to_their_field_and_the_input_is_kept(app):
    async with client(app) as http:
        token = token_of((await http.get("/formular")).text)
        answer = await http.post("/formular", data={"name": "Anna <b>", "email": "kein-at", "csrf_token": token})
        assert answer.status_code == 422
        assert 'value="Anna &lt;b&gt;"' in answer.text  # kept, and escaped
        assert 'value="kein-at"' in answer.text
        assert 'id="e-email"' in answer.text and "gültige E-Mail-Adresse" in answer.text
        ok = await http.post("/formular", data={"name": "Anna", "email": "anna@example.org", "csrf_token": token})
        assert ok.status_code == 303 and ok.headers["location"] == "/danke"


async def test_errors_are_named_in_english_on_an_english_page(app):
    async with client(app) as http:
        token = token_of((await http.get("/formular?lang=en")).text)
        answer = await http.post("/formular", data={"name": "", "email": "x", "csrf_token": token})
        assert "Please fill in this field." in answer.text and "valid email address" in answer.text


async def test_the_honeypot_filled_in_is_a_400_naming_the_field(app):
    async with client(app) as http:
        token = token_of((await http.get("/formular")).text)
        data = {"name": "Bot", "email": "bot@example.org", "csrf_token": token, "homepage": "http://spam"}
        answer = await http.post("/formular", data=data)
        assert answer.status_code == 422 and answer.json()["field"] == "homepage"


async def test_a_browser_gets_errors_as_pages_and_an_api_client_as_json(app):
    async with client(app, accept="text/html,application/xhtml+xml") as browser:
        page = await browser.get("/fehlt")
        assert page.status_code == 404 and "Kein Eintrag gefunden." in page.text and "<footer" in page.text
        unknown = await browser.get("/gibt-es-nicht?lang=en")
        assert unknown.status_code == 404 and "Page not found" in unknown.text
    async with client(app, accept="application/json") as api:
        answer = await api.get("/fehlt")
        assert answer.status_code == 404 and answer.json()["message"] == "Kein Eintrag gefunden."


async def test_the_shared_style_sheet_is_served_and_nothing_else(app):
    async with client(app) as http:
        css = await http.get("/assets/site.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert (await http.get("/assets/..%2Fpages.py")).status_code == 404


@pytest.mark.parametrize("part", PARTS)
def test_every_text_a_part_shows_has_an_english_translation(part):
    assert untranslated(part) == [], f"run `hallobot catalogs` and translate the new texts in {part}/locale/en/"


def test_checking_the_catalogs_changes_no_file():
    """`hallobot catalogs --check` counts only (it used to rewrite each file's creation date)."""
    before = {part: catalog_path(part).read_bytes() for part in PARTS}
    for part in PARTS:
        assert update(part, write=False) == CatalogState(missing=0, obsolete=0, out_of_date=False), part
    assert {part: catalog_path(part).read_bytes() for part in PARTS} == before


def test_updating_catalogs_without_new_texts_leaves_their_files_as_they_are(tmp_path, monkeypatch):
    """`hallobot catalogs` with nothing new writes nothing (Babel would stamp a new creation date)."""
    from shared.web import catalogs

    copies = {}
    for part in PARTS:  # copies: the test changes no file of the checkout
        copies[part] = tmp_path / part.replace("/", "_") / "messages.po"
        copies[part].parent.mkdir(parents=True)
        copies[part].write_bytes(catalog_path(part).read_bytes())
    monkeypatch.setattr(catalogs, "catalog_path", lambda part, language="en": copies[part])
    for part in PARTS:
        assert catalogs.update(part, write=True) == CatalogState(missing=0, obsolete=0, out_of_date=False)
        assert copies[part].read_bytes() == catalog_path(part).read_bytes(), part


def test_the_check_finds_a_catalog_whose_source_lines_moved(tmp_path, monkeypatch, capsys):
    """`hallobot catalogs --check` fails when a text's source line reference is stale (CI found such a
    catalog only through the test above), and changes no file; `hallobot catalogs` mends it."""
    from hallobot.cli import main
    from shared.web import catalogs

    part = "services/events"
    copy = tmp_path / "messages.po"
    text = catalog_path(part).read_text(encoding="utf-8")
    reference = re.search(r"^#: (\S+):(\d+)$", text, re.MULTILINE)
    assert reference, "the catalog names where its texts are used"
    moved = text.replace(reference[0], f"#: {reference[1]}:{int(reference[2]) + 1}", 1)
    copy.write_text(moved, encoding="utf-8")
    monkeypatch.setattr(catalogs, "catalog_path", lambda part, language="en": copy)

    assert main(["catalogs", "--check", part]) == 1
    assert "out of date" in capsys.readouterr().out
    assert copy.read_text(encoding="utf-8") == moved, "a check changes no file"
    assert main(["catalogs", part]) == 0
    assert copy.read_bytes() == catalog_path(part).read_bytes()
    assert main(["catalogs", "--check", part]) == 0
