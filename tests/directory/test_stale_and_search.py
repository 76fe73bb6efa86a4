"""Search, filters, pagination and "open now" on SQLite and PostgreSQL; staleness of untouched profiles."""

from __future__ import annotations

import sqlite3
import uuid

from services.directory import queries
from tests.directory.conftest import OPERATOR, owner, published, register
from tests.directory.search_data import add_published

SATURDAY_NOON = "2031-03-08T12:00:00+01:00"
SATURDAY_EVENING = "2031-03-08T19:00:00+01:00"
FRIDAY_NOON = "2031-03-07T12:00:00+01:00"
SUNDAY_MORNING = "2031-03-09T10:00:00+01:00"


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def marker() -> str:
    return "m" + uuid.uuid4().hex[:10]


def test_free_text_finds_german_word_forms_and_parts_of_compounds(directory_any_db):
    tag = marker()
    with directory_any_db.client() as client:
        bakery = published(client, name=f"Bäckerei Sonnenschein {tag}", offerings=["Vollkornbrot"])
        roastery = published(
            client,
            name=f"Kaffeerösterei Malakoff {tag}",
            category="gastronomie",
            description=f"Röstet Kaffee aus fairem Handel, Espresso und Kuchen. {tag}",
        )
        draft = register(client, name=f"Bäckerei Entwurf {tag}")
        assert set(ids(client.get("/businesses", params={"q": f"Bäckereien {tag}"}))) == {bakery["id"]}
        assert ids(client.get("/businesses", params={"q": f"kaffee {tag}"})) == [roastery["id"]]
        assert ids(client.get("/businesses", params={"q": f"Rösterei {tag}"})) == [roastery["id"]]
        assert ids(client.get("/businesses", params={"q": f"vollkornbrot {tag}"})) == [bakery["id"]]
        assert draft["id"] not in ids(client.get("/businesses", params={"q": tag}))
        assert ids(client.get("/businesses", params={"q": f"Metzgerei {tag}"})) == []
        for odd in ("'\"%_\\ & | ! (", "Brot & | !( 'x:* <->", "a"):
            assert client.get("/businesses", params={"q": odd}).status_code == 200
        listed = client.get("/businesses", params={"q": tag}).json()["items"]
        assert listed and all("owner_email" not in item and "status" not in item for item in listed)


def test_filters_combine_and_pages_hold_the_total(directory_any_db):
    tag = marker()
    with directory_any_db.client() as client:
        fair_cafe = published(
            client,
            name=f"A Café {tag}",
            category="gastronomie",
            delivery=True,
            fairtrade_products=4,
            opening_hours="Mo-Sa 08:00-18:00",
        )
        shop = published(client, name=f"B Laden {tag}", delivery=True, opening_hours="Mo-Fr 09:00-18:00")
        late = published(client, name=f"C Bar {tag}", category="gastronomie", opening_hours="Fr,Sa 18:00-02:00")
        search = {"q": tag}
        assert ids(client.get("/businesses", params={**search, "category": "gastronomie"})) == [
            fair_cafe["id"],
            late["id"],
        ]
        assert ids(client.get("/businesses", params={**search, "delivery": True})) == [fair_cafe["id"], shop["id"]]
        assert ids(client.get("/businesses", params={**search, "fairtrade": True})) == [fair_cafe["id"]]
        noon = client.get("/businesses", params={**search, "open_now": True, "at": SATURDAY_NOON})
        assert ids(noon) == [fair_cafe["id"]] and noon.json()["items"][0]["open_now"] is True
        evening = client.get("/businesses", params={**search, "open_now": True, "at": SATURDAY_EVENING})
        assert ids(evening) == [late["id"]]
        closed = client.get("/businesses", params={**search, "open_now": True, "at": SUNDAY_MORNING})
        assert ids(closed) == [] and closed.json()["total"] == 0
        open_pages = [
            client.get("/businesses", params={**search, "open_now": True, "at": FRIDAY_NOON, "per_page": 1, "page": n})
            for n in (1, 2, 3)
        ]
        assert [ids(answer) for answer in open_pages] == [[fair_cafe["id"]], [shop["id"]], []]
        assert [answer.json()["total"] for answer in open_pages] == [2, 2, 2], "past the last page too"
        first = client.get("/businesses", params={**search, "per_page": 2})
        second = client.get("/businesses", params={**search, "per_page": 2, "page": 2})
        beyond = client.get("/businesses", params={**search, "per_page": 2, "page": 3})
        assert first.json()["total"] == second.json()["total"] == beyond.json()["total"] == 3
        assert ids(first) + ids(second) == [fair_cafe["id"], shop["id"], late["id"]] and ids(beyond) == []
        for bad in ({"category": "casino"}, {"per_page": 1000}, {"at": "2031-03-08T12:00:00"}, {"page": 0}):
            answer = client.get("/businesses", params=bad)
            assert answer.status_code == 422 and next(iter(bad)) in answer.json()["message"], answer.text


def test_the_public_api_counts_up_to_200_matches_and_the_office_all_of_them(directory_any_db):
    tag = marker()
    add_published(directory_any_db.database_url, tag, queries.SEARCH_COUNT_CAP + 5)
    with directory_any_db.client() as client:
        public = client.get("/businesses", params={"q": tag}).json()
        office = client.get("/businesses", params={"q": tag}, headers=OPERATOR).json()
        last = client.get("/businesses", params={"q": tag, "page": 11}).json()
    assert (public["total"], public["total_exact"], len(public["items"])) == (200, False, 20)
    assert (office["total"], office["total_exact"]) == (205, True), "the office sees exactly how many"
    assert (last["total"], last["total_exact"], len(last["items"])) == (205, True, 5)


def test_a_profile_not_touched_for_six_months_is_flagged_stale_until_its_owner_confirms_it(directory):
    with directory.client() as client:
        fresh = published(client)
        old = published(client)
        with sqlite3.connect(directory.database_url.removeprefix("sqlite:///")) as db:
            db.execute("UPDATE businesses SET touched_at = '2020-01-01 00:00:00.000000' WHERE id = ?", (old["id"],))
        token = owner(old["edit_token"])
        assert client.get(f"/businesses/{old['id']}", headers=token).json()["stale"] is True
        assert client.get(f"/businesses/{fresh['id']}", headers=token | OPERATOR).json()["stale"] is False
        flagged = ids(client.get("/businesses", params={"stale": True, "per_page": 100}, headers=OPERATOR))
        assert old["id"] in flagged and fresh["id"] not in flagged
        assert client.get("/businesses", params={"stale": True}).status_code == 401
        confirmed = client.patch(f"/businesses/{old['id']}", json={}, headers=token)
        assert confirmed.status_code == 200 and confirmed.json()["stale"] is False


def test_postgresql_stems_german_words_beyond_what_the_sqlite_fallback_can(directory_any_db):
    tag = marker()
    with directory_any_db.client() as client:
        nursery = published(
            client,
            name=f"Gärtnerei Grün {tag}",
            category="dienstleistung",
            description=f"Wir planen und pflegen Gärten in Bottrop. {tag}",
        )
        found = ids(client.get("/businesses", params={"q": f"Garten {tag}"}))
        on_postgres = directory_any_db.database_url.startswith("postgresql")
        assert found == ([nursery["id"]] if on_postgres else [])  # umlaut plural: 'Gärten' → stem 'gart'
