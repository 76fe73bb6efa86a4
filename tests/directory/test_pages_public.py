"""The directory's public pages over real HTTP against the service process: the search with its
filters, one business with its hours, map link and JSON-LD, the Fairtrade-Town page; German and
English; what a person reads never holds a slug or an id."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from services.directory import fairtrade, queries
from services.directory.domain import CATEGORIES
from services.directory.labels import CATEGORY_NAMES
from services.directory.pages import pages
from tests.directory.conftest import OPERATOR, profile
from tests.directory.search_data import add_published

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SLUGS = [*CATEGORIES, "council_resolution", "steering_group", "retail_gastronomy", "civil_society", "faith_community"]


def visible_text(page: str) -> str:
    """What a person reads: without the JSON-LD, tags and attribute values."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def assert_nothing_technical(page: str) -> None:
    text = visible_text(page)
    assert not UUID.search(text), UUID.search(text)
    for slug in SLUGS:
        assert not re.search(rf"\b{slug}\b", text), slug


def create(client, word: str, publish: bool = True, **overrides) -> dict:
    """A business of the office (no registration limit), published unless told otherwise."""
    body = profile(name=f"{word} {uuid.uuid4().hex[:6]}", **overrides)
    created = client.post("/businesses", json=body, headers=OPERATOR)
    assert created.status_code == 201, created.text
    if publish:
        assert client.post(f"/businesses/{created.json()['id']}/publish", headers=OPERATOR).status_code == 200
    return created.json()


def search(client, **params) -> str:
    answer = client.get("/verzeichnis", params=params, headers=BROWSER)
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.fixture(scope="module")
def directory(directory_any_db):
    """These pages on SQLite and PostgreSQL: the search's SQL differs between them."""
    return directory_any_db


@pytest.fixture(scope="module")
def shops(directory):
    """Four published shops that share the word Röstkaffee and differ in every filter; one not published."""
    with directory.client() as client:
        always = "Mo-Su 00:00-24:00"
        return {
            "fair": create(
                client,
                "Rösterei Fairbohne",
                category="gastronomie",
                offerings=["Röstkaffee"],
                fairtrade_products=4,
                delivery=True,
                pickup=False,
                sells_gutschein=True,
                opening_hours=always,
            ),
            "plain": create(
                client,
                "Kiosk Eckbude",
                category="einzelhandel",
                offerings=["Röstkaffee"],
                pickup=True,
                accepts_gutschein=False,
                opening_hours="Mo-Su off",
            ),
            "market": create(
                client, "Marktstand Bohne", category="wochenmarkt", offerings=["Röstkaffee"], opening_hours=always
            ),
            "draft": create(client, "Entwurf Kaffeebar", publish=False, offerings=["Röstkaffee"]),
        }


def names(page: str, shops: dict, *keys: str) -> set[str]:
    """Which of the shops the page lists."""
    return {key for key in keys if html.escape(shops[key]["name"]) in page}


ALL = ("fair", "plain", "market", "draft")


def test_a_word_of_the_offer_finds_every_published_business_and_no_draft(directory, shops):
    with directory.client() as client:
        page = search(client, q="Röstkaffee")
    assert names(page, shops, *ALL) == {"fair", "plain", "market"}
    assert "3 Betriebe gefunden" in page
    assert_nothing_technical(page)


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({"fairtrade": "on"}, {"fair"}),
        ({"lieferung": "on"}, {"fair"}),
        ({"abholung": "on"}, {"plain", "market"}),
        ({"gutschein_verkauf": "on"}, {"fair"}),
        ({"gutschein_annahme": "on"}, {"fair", "market"}),
        ({"jetzt_offen": "on"}, {"fair", "market"}),
        ({"kategorie": "einzelhandel"}, {"plain"}),
        ({"wochenmarkt": "on"}, {"market"}),
        ({"wochenmarkt": "on", "kategorie": "gastronomie"}, set()),
        ({"fairtrade": "on", "jetzt_offen": "on", "lieferung": "on"}, {"fair"}),
    ],
)
def test_each_filter_narrows_the_search(directory, shops, filters, found):
    with directory.client() as client:
        page = search(client, q="Röstkaffee", **filters)
    assert names(page, shops, *ALL) == found
    for name in filters:
        if filters[name] == "on":
            assert f'name="{name}" type="checkbox" value="on" checked' in page, "the filter stays ticked"


def test_a_card_names_the_category_in_words_the_open_state_and_a_phone_link(directory, shops):
    with directory.client() as client:
        page = search(client, q="Rösterei Fairbohne")
    assert "Gastronomie" in page and "Jetzt geöffnet" in page
    assert 'href="tel:+492041123456"' in page
    assert f'href="/verzeichnis/{shops["fair"]["id"]}"' in page
    assert "Hochstraße 1, 46236 Bottrop" in page


def test_an_empty_result_says_so_and_suggests_what_to_do(directory):
    with directory.client() as client:
        page = search(client, q="Quastenflosserbedarf")
    assert "0 Betriebe gefunden" in page and "Leider passt kein Betrieb zu Ihrer Suche." in page
    assert 'href="/verzeichnis"' in page and 'href="/verzeichnis/eintragen"' in page


def test_a_long_result_is_paged_and_the_pages_keep_the_filters(directory):
    with directory.client() as client:
        for _ in range(21):
            create(client, "Seitenladen Blätterteig", fairtrade_products=2)
        first = search(client, q="Blätterteig", fairtrade="on")
        second = search(client, q="Blätterteig", fairtrade="on", seite="2")
        junk = search(client, q="Blätterteig", seite="zwei", kategorie="gibt-es-nicht")
        beyond = search(client, q="Blätterteig", fairtrade="on", seite="3")
    assert "21 Betriebe gefunden" in first and "Seite 1 von 2" in first
    assert "21 Betriebe gefunden" in beyond and "Auf dieser Seite gibt es keine Ergebnisse mehr." in beyond
    assert first.count('class="card"') == 20 and second.count('class="card"') == 1
    assert 'href="/verzeichnis?q=Bl%C3%A4tterteig&amp;fairtrade=on&amp;seite=2"' in first
    assert "Seite 1 von 2" in junk, "a malformed page or category is ignored, not an error"


@pytest.fixture(scope="module")
def crowd(directory) -> int:
    """More published profiles with one word than the search counts (queries.SEARCH_COUNT_CAP)."""
    count = queries.SEARCH_COUNT_CAP + 5
    add_published(directory.database_url, "Vielerlei", count)
    return count


def test_more_matches_than_the_search_counts_are_more_than_200_and_the_pages_go_on(directory, crowd):
    with directory.client() as client:
        first = search(client, q="Vielerlei")
        tenth = search(client, q="Vielerlei", seite="10")
        last = search(client, q="Vielerlei", seite="11")
    assert "Mehr als 200 Treffer" in first and "Seite 1 von mehr als 10" in first
    assert "Mit einem weiteren Wort oder einem Filter" in first and first.count('class="card"') == 20
    assert "Die zuletzt ins Verzeichnis aufgenommenen Betriebe zuerst." in first
    assert 'href="/verzeichnis?q=Vielerlei&amp;seite=2"' in first
    assert f"Vielerlei {crowd - 1:03d}" in first and "Vielerlei 000" not in first, "the newest first"
    assert "Mehr als 200 Treffer" in tenth and 'href="/verzeichnis?q=Vielerlei&amp;seite=11"' in tenth
    assert f"{crowd} Betriebe gefunden" in last and "Seite 11 von 11" in last, "as far as the page needs: exact"
    assert last.count('class="card"') == crowd - 200 and "seite=12" not in last and "Vielerlei 000" in last
    assert_nothing_technical(first)


def test_more_than_200_results_in_english(directory, crowd):
    with directory.client() as client:
        page = search(client, q="Vielerlei", lang="en")
    assert "More than 200 results" in page and "Page 1 of more than 10" in page
    assert "Another word or a filter finds what you are looking for faster." in page
    assert "The businesses that joined the directory last come first." in page
    assert "Mehr als" not in visible_text(page)


def test_a_business_page_shows_hours_in_german_open_now_the_map_link_and_the_json_ld(directory, shops):
    with directory.client() as client:
        answer = client.get(f"/verzeichnis/{shops['fair']['id']}", headers=BROWSER)
        closed = client.get(f"/verzeichnis/{shops['plain']['id']}", headers=BROWSER).text
        api_ld = client.get(f"/businesses/{shops['fair']['id']}/jsonld").json()
    page = answer.text
    assert answer.status_code == 200 and answer.headers["content-language"] == "de"
    assert "Jetzt geöffnet" in page and "rund um die Uhr" in page and "Heute" in page
    assert re.search(r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d+\. ", page)
    assert 'href="https://www.openstreetmap.org/?mlat=51.52360&amp;mlon=6.92900#map=18/51.52360/6.92900"' in page
    assert "geschlossen" in closed and "Jetzt geschlossen" in closed
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.S)
    assert embedded and json.loads(embedded.group(1)) == api_ld
    assert "script-src" not in answer.headers["content-security-policy"], "the JSON-LD needs no script source"
    assert_nothing_technical(page)


def test_a_business_that_is_not_published_or_not_there_is_a_404_page(directory, shops):
    with directory.client() as client:
        draft = client.get(f"/verzeichnis/{shops['draft']['id']}", headers=BROWSER)
        unknown = client.get(f"/verzeichnis/{uuid.uuid4()}", headers=BROWSER)
        english = client.get(f"/verzeichnis/{shops['draft']['id']}?lang=en", headers=BROWSER)
    for answer in (draft, unknown):
        assert answer.status_code == 404 and "Seite nicht gefunden" in answer.text
        assert "Diesen Eintrag gibt es nicht oder nicht mehr im Verzeichnis." in answer.text
        assert shops["draft"]["name"] not in answer.text
    assert english.status_code == 404 and '<html lang="en">' in english.text
    assert "Diesen Eintrag" not in english.text


def test_the_pages_are_english_with_lang_en(directory, shops):
    with directory.client() as client:
        results = search(client, q="Rösterei Fairbohne", lang="en")
        business = client.get(f"/verzeichnis/{shops['fair']['id']}?lang=en", headers=BROWSER).text
    assert '<html lang="en">' in results and "1 business found" in results and "Food and drink" in results
    assert "Open now" in results and "Gastronomie" not in results
    assert re.search(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ ", business)
    assert "Open now" in business and "View on the map (OpenStreetMap)" in business
    assert "Öffnungszeiten" not in visible_text(business)


# The title was awarded 100 days ago (so it holds whenever the test runs) and is due two years after.
AWARDED = datetime.now(ZoneInfo("Europe/Berlin")).date() - timedelta(days=100)
RENEWAL_DUE = fairtrade.title_expires_on(AWARDED, None)


def german(day) -> str:
    return format_date(day, "EEEE, d. MMMM y", locale="de_DE")


def test_the_fairtrade_page_shows_the_criteria_in_words_and_the_title_dates(directory):
    with directory.client() as client:
        recorded = client.post(
            "/fairtrade/title", json={"kind": "awarded", "on": AWARDED.isoformat()}, headers=OPERATOR
        )
        assert recorded.status_code == 200, recorded.text
        page = client.get("/fairtrade", headers=BROWSER)
        english = client.get("/fairtrade?lang=en", headers=BROWSER).text
        api = client.get("/fairtrade")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = visible_text(page.text)
    for name in ("Ratsbeschluss", "Steuerungsgruppe", "Geschäfte und Gastronomie", "Berichte in der Presse"):
        assert name in text
    assert f"seit {german(AWARDED)}" in text and f"fällig bis {german(RENEWAL_DUE)}" in text
    assert "<progress" in page.text
    assert_nothing_technical(page.text)
    assert "Council resolution" in english and format_date(RENEWAL_DUE, "d MMMM y", locale="en_GB") in english
    assert api.headers["content-type"] == "application/json" and "criteria" in api.json(), "the API is unchanged"


def test_the_category_names_of_the_pages_are_those_of_the_api_in_both_languages():
    english = pages.gettext("en")
    assert set(CATEGORY_NAMES) == set(CATEGORIES)
    for slug, category in CATEGORIES.items():
        assert CATEGORY_NAMES[slug] == category.de and english(CATEGORY_NAMES[slug]) == category.en


def test_the_search_shows_a_change_made_on_this_instance_at_once_despite_its_cache(directory):
    """The search page keeps result lists for a few seconds (search_cache.py), but a write of this
    instance ends them: a business published or unpublished right after a view shows on the next."""
    word = f"Cachekerze{uuid.uuid4().hex[:6]}"
    with directory.client() as client:
        search(client, q=word)  # the empty list is now cached
        business = create(client, word)
        assert business["name"] in search(client, q=word)
        assert client.post(f"/businesses/{business['id']}/unpublish", headers=OPERATOR).status_code == 200
        assert business["name"] not in search(client, q=word)
