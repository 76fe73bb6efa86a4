"""Profiles through HTTP: self-registration, edit tokens, the office's publishing, events on a real nats-server."""

from __future__ import annotations

from datetime import date

import pytest

from tests.directory.conftest import OPERATOR, anonymous, events_of, owner, profile, published, register


def types_of(events: list[dict]) -> list[str]:
    return [e["type"].removeprefix("de.bottrop.hallobot.") for e in events]


async def test_a_self_registered_business_is_a_pending_draft_the_public_cannot_see(directory):
    with directory.client() as client:
        created = register(client, name="Weltladen Bottrop")
        assert created["status"] == "pending" and created["self_registered"] is True
        assert created["edit_token"].startswith("hbe_")
        # the owner's page behind the front door (HALLOBOT_SITE_URL), which trades the token for a cookie
        assert created["edit_url"] == f"http://127.0.0.1:8000/verzeichnis/eintrag/zugang?token={created['edit_token']}"
        assert client.get(f"/businesses/{created['id']}").status_code == 404
        assert created["id"] not in [
            b["id"] for b in client.get("/businesses", params={"per_page": 100}).json()["items"]
        ]
        own = client.get(f"/businesses/{created['id']}", headers=owner(created["edit_token"]))
        assert own.status_code == 200 and own.json()["status"] == "pending" and "edit_token" not in own.json()
        assert own.json()["owner_email"] == "inhaberin@example.org"
    events = await events_of(directory.nats_url, "DIRECTORY", f"hallobot.directory.business.*.{created['id']}", 1)
    assert types_of(events) == ["directory.business.registered"]
    assert events[0]["data"] == {  # the name is the owner's text: not public before the office published it
        "business_id": created["id"],
        "name": None,
        "category": "einzelhandel",
        "self_registered": True,
    }
    assert events[0]["dataschema"].endswith("/directory.business.registered/v2.json")


async def test_the_owner_edits_with_the_edit_token_and_the_event_lists_what_changed(directory):
    with directory.client() as client:
        created = register(client)
        answer = client.patch(
            f"/businesses/{created['id']}",
            headers=owner(created["edit_token"]),
            json={
                "description": "Bio-Bäckerei seit 1920, alles aus eigener Backstube.",
                "delivery": True,
                "phone": created["phone"],
                "owner_email": "neu@example.org",
            },
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["delivery"] is True and answer.json()["owner_email"] == "neu@example.org"
        cleared = client.patch(
            f"/businesses/{created['id']}",
            headers=owner(created["edit_token"]),
            json={"opening_hours": None, "website": None},
        )
        assert cleared.json()["opening_hours"] is None and cleared.json()["open_now"] is None
    events = await events_of(directory.nats_url, "DIRECTORY", f"hallobot.directory.business.updated.{created['id']}", 2)
    assert [e["data"]["changed"] for e in events] == [
        ["delivery", "description", "owner_email"],
        ["opening_hours", "website"],
    ]
    for event in events:  # public events carry no contact data, only field names; no name while pending
        assert set(event["data"]) == {"business_id", "name", "category", "changed"} and event["data"]["name"] is None


def test_a_missing_or_unknown_token_gets_401_and_another_profiles_token_403(directory):
    with directory.client() as client:
        first, second = register(client), register(client)
        url = f"/businesses/{first['id']}"
        assert client.patch(url, json={"pickup": False}).status_code == 401
        assert client.patch(url, json={"pickup": False}, headers=owner("hbe_guessed")).status_code == 401
        assert client.patch(url, json={"pickup": False}, headers=owner(second["edit_token"])).status_code == 403
        assert client.get(url, headers=owner(second["edit_token"])).status_code == 403
        assert client.delete(url, headers=owner(second["edit_token"])).status_code == 403
        # publishing is the office's: an owner token is no operator token
        assert client.post(f"{url}/publish", headers=owner(first["edit_token"])).status_code == 401
        assert client.get("/businesses", params={"status": "pending"}).status_code == 401
        rotated = client.post(f"{url}/token", headers=OPERATOR).json()["edit_token"]
        assert client.patch(url, json={"pickup": False}, headers=owner(first["edit_token"])).status_code == 401
        assert client.patch(url, json={"pickup": False}, headers=owner(rotated)).status_code == 200


async def test_the_office_publishes_unpublishes_and_archives_and_each_step_is_one_event(directory):
    with directory.client() as client:
        created = register(client, name="Café am Kirchplatz", category="gastronomie")
        url = f"/businesses/{created['id']}"
        assert client.post(f"{url}/publish", headers=OPERATOR).json()["status"] == "published"
        assert client.post(f"{url}/publish", headers=OPERATOR).status_code == 200  # repeated: no second event
        public = client.get(url)
        assert public.status_code == 200 and "owner_email" not in public.json() and "status" not in public.json()
        assert public.json()["category_label"] == "Gastronomie"
        assert client.post(f"{url}/unpublish", headers=OPERATOR).json()["status"] == "unpublished"
        assert client.get(url).status_code == 404
        assert client.delete(url, headers=owner(created["edit_token"])).json()["status"] == "archived"
        refused = client.post(f"{url}/publish", headers=OPERATOR)
        assert refused.status_code == 409 and refused.json()["field"] == "status"
        assert client.patch(url, json={"pickup": True}, headers=owner(created["edit_token"])).status_code == 409
        drafts = client.get(
            "/businesses", params={"status": "all", "q": "Kirchplatz", "per_page": 100}, headers=OPERATOR
        )
        assert created["id"] in [b["id"] for b in drafts.json()["items"]]
    events = await events_of(directory.nats_url, "DIRECTORY", f"hallobot.directory.business.*.{created['id']}", 4)
    assert types_of(events) == [
        "directory.business.registered",
        "directory.business.published",
        "directory.business.unpublished",
        "directory.business.archived",
    ]
    assert events[1]["data"] == {"business_id": created["id"], "name": "Café am Kirchplatz", "category": "gastronomie"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "casino"}, "category"),
        ({"opening_hours": "Mo-Fr 9 bis 18 Uhr"}, "opening_hours"),
        ({"name": "B" * 201}, "name"),
        ({"description": "x" * 2001}, "description"),
        ({"offerings": ["Brot"] * 31}, "offerings"),
        ({"latitude": 95.0}, "latitude"),
        ({"latitude": 6.929, "longitude": 51.5236}, "latitude"),  # swapped
        ({"longitude": None}, "longitude"),
        ({"website": "not a url"}, "website"),
        ({"postal_code": "4623"}, "postal_code"),
        ({"email": "kein-at-zeichen"}, "email"),
        ({"fairtrade_products": -1}, "fairtrade_products"),
        ({"secret_field": 1}, "secret_field"),
    ],
)
def test_bad_input_is_a_422_that_names_the_field(directory, overrides, field):
    with directory.client() as client:
        answer = client.post("/businesses", json=profile(**overrides), headers=anonymous())
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert body.get("field") == field or field in body["message"], body


def test_a_bad_edit_is_a_422_that_names_the_field_and_changes_nothing(directory):
    with directory.client() as client:
        created = register(client)
        url, token = f"/businesses/{created['id']}", owner(created["edit_token"])
        for body, field in (
            ({"opening_hours": "immer"}, "opening_hours"),
            ({"name": None}, "name"),
            ({"latitude": 51.0}, "latitude"),
            ({"category": "Kiosk"}, "category"),
        ):
            answer = client.patch(url, json=body, headers=token)
            assert answer.status_code == 422 and (
                answer.json().get("field") == field or field in answer.json()["message"]
            )
        assert client.get(url, headers=token).json()["opening_hours"] == created["opening_hours"]
        assert client.get("/businesses/" + "x" * 40).status_code == 422


def test_anonymous_registration_is_limited_per_client_and_the_office_is_not(directory):
    with directory.client() as client:
        same_client = anonymous()
        for _ in range(3):
            assert client.post("/businesses", json=profile(), headers=same_client).status_code == 201
        refused = client.post("/businesses", json=profile(), headers=same_client)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert client.post("/businesses", json=profile(), headers=anonymous()).status_code == 201
        office = client.post("/businesses", json=profile(), headers={**OPERATOR, **same_client})
        assert office.status_code == 201 and office.json()["self_registered"] is False


def test_the_completeness_score_names_the_missing_fields(directory):
    with directory.client() as client:
        bare = client.post(
            "/businesses", headers=anonymous(), json={"name": "Schuhmacher Ohne", "category": "handwerk"}
        ).json()
        assert bare["completeness"] == 0
        assert bare["missing"] == [
            "description",
            "offerings",
            "phone",
            "email",
            "website",
            "address",
            "coordinates",
            "opening_hours",
        ]
        full = register(client)
        assert full["completeness"] == 100 and full["missing"] == []


def test_a_published_profile_has_schema_org_json_ld(directory):
    with directory.client() as client:
        created = published(client, name="Metzgerei Jsonld")
        answer = client.get(f"/businesses/{created['id']}/jsonld")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/ld+json")
        document = answer.json()
        assert document["@context"] == "https://schema.org" and document["@type"] == "Store"
        assert document["name"] == "Metzgerei Jsonld" and document["address"]["postalCode"] == "46236"
        assert document["geo"] == {"@type": "GeoCoordinates", "latitude": 51.5236, "longitude": 6.929}
        assert document["openingHours"] == ["Mo-Fr 07:00-18:00", "Sa 07:00-13:00"]
        assert document["paymentAccepted"] == "Bottrop-Gutschein"
        draft = register(client)
        assert client.get(f"/businesses/{draft['id']}/jsonld").status_code == 404


def test_the_demo_data_loads_through_the_api_and_a_second_run_creates_nothing(directory):
    from hallobot.demo.directory import BUSINESSES, load_demo_directory
    from tests.directory.conftest import OPERATOR_TOKEN

    first = load_demo_directory(directory.url, OPERATOR_TOKEN)
    assert len(first["businesses"]) == len(BUSINESSES) + 1
    again = load_demo_directory(directory.url, OPERATOR_TOKEN)
    assert again["businesses"] == [] and again["campaign"] == first["campaign"]
    assert again["networks"] == first["networks"]
    members = {network["slug"]: {m["name"] for m in network["members"]} for network in again["networks"]}
    assert members["wirtschaftsallianz"] >= {"Demo: Weltladen Bottrop", "Demo: Café am Kirchplatz"}
    assert "Demo: Bäckerei Kornfeld" in members["fachkraeftesicherung"]
    criteria = {c["criterion"]: c for c in again["campaign"]["criteria"]}
    assert criteria["council_resolution"]["met"] and criteria["steering_group"]["met"]
    assert criteria["civil_society"]["met"] and not criteria["press"]["met"]
    titles = [(t["kind"], t["granted_on"]) for t in again["campaign"]["titles"]]
    assert titles == [("awarded", "2021-11-26"), ("renewed", "2023-11-26"), ("renewed", "2025-11-26")]
    assert (
        again["campaign"]["title_renewed_on"] == "2025-11-26" and again["campaign"]["title_expires_on"] == "2027-11-26"
    )
    with directory.client() as client:
        period = {"start": f"{date.today().year - 1}-01-01", "end": str(date.today())}
        records = client.get("/fairtrade/records", params=period, headers=OPERATOR).json()
        assert {a["kind"] for a in records["actions"]} >= {"kita", "school"} and len(records["meetings"]) == 3
    with directory.client() as client:
        found = client.get("/businesses", params={"q": "Weltladen Demo"}).json()["items"]
        assert [b["name"] for b in found] == ["Demo: Weltladen Bottrop"]
