"""Delivery and pickup offers (issue 17, the Louise city logistics project): the offer's text forms, the
API (POST and PATCH, 422 naming the field), the `directory.offer.*` events (only about published
profiles, the whole offer in each), and the owner's and the office's edit forms, against the directory
service as a real process on SQLite with a real nats-server."""

from __future__ import annotations

import re

import pytest

from services.directory import offers
from shared.errors import Invalid
from tests.directory.conftest import OPERATOR, events_of, owner, published, register
from tests.directory.test_pages_console import QUEUE, console, owner_browser, post, unique

OFFER = {
    "postal_codes": ["46244", "46236"],
    "windows": [{"days": ["sa", "mo"], "start": "09:00", "end": "12:00"}],
    "minimum_order_cents": 1500,
    "pickup_point": "Ladenlokal",
    "lead_time_hours": 24,
}
STORED = OFFER | {
    "postal_codes": ["46236", "46244"],
    "windows": [{"days": ["mo", "sa"], "start": "09:00", "end": "12:00"}],
}


# --- the text forms ------------------------------------------------------------------------------------


def test_time_windows_are_read_in_german_or_english_day_names_and_written_back_the_same():
    windows = offers.parse_windows("Mo-Fr 09:00-12:00; Sa,So 10:00 - 13:00\nth 8:30-9:15")
    assert windows == [
        {"days": ["mo", "tu", "we", "th", "fr"], "start": "09:00", "end": "12:00"},
        {"days": ["sa", "su"], "start": "10:00", "end": "13:00"},
        {"days": ["th"], "start": "08:30", "end": "09:15"},
    ]
    assert offers.format_windows(windows[:2]) == "Mo-Fr 09:00-12:00; Sa-So 10:00-13:00"
    assert offers.parse_windows(offers.format_windows(windows)) == windows


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"offer_postal_codes": "46236, 4623"}, "offer_postal_codes"),
        ({"offer_postal_codes": "00123"}, "offer_postal_codes"),
        ({"offer_postal_codes": "46236", "offer_windows": "Montag früh"}, "offer_windows"),
        ({"offer_postal_codes": "46236", "offer_windows": "Mo 12:00-09:00"}, "offer_windows"),
        ({"offer_postal_codes": "46236", "offer_minimum_order": "15 Euro"}, "offer_minimum_order"),
        ({"offer_postal_codes": "46236", "offer_lead_time_hours": "2.5"}, "offer_lead_time_hours"),
        ({"offer_windows": "Mo 09:00-12:00"}, "offer"),  # neither a delivery area nor a pickup point
    ],
)
def test_a_form_offer_that_cannot_be_read_names_its_field(form, field):
    with pytest.raises(Invalid) as refused:
        offers.offer_from_form(form)
    assert refused.value.field == field


def test_the_forms_fields_of_an_offer_give_the_same_offer_back_and_all_empty_is_none():
    assert offers.offer_from_form(offers.form_values(STORED)) == STORED
    assert offers.form_values(STORED)["offer_minimum_order"] == "15,00"
    assert offers.parse_euro("15,5") == 1550 and offers.parse_euro("15.50 €") == 1550
    assert offers.offer_from_form(offers.form_values(None)) is None
    english = offers.form_values(
        STORED | {"windows": [{"days": ["mo", "tu", "we"], "start": "09:00", "end": "12:00"}]}, "en"
    )
    assert english["offer_windows"] == "Mo-We 09:00-12:00" and english["offer_minimum_order"] == "15.00"
    assert offers.offer_from_form(english)["windows"][0]["days"] == ["mo", "tu", "we"]


# --- the API and the events -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "field"),
    [
        (OFFER | {"postal_codes": ["4623"]}, "postal_codes"),
        (OFFER | {"postal_codes": ["00999"]}, "postal_codes"),
        (OFFER | {"windows": [{"days": ["mo"], "start": "12:00", "end": "09:00"}]}, "windows"),
        (OFFER | {"windows": [{"days": ["monday"], "start": "09:00", "end": "12:00"}]}, "days"),
        (OFFER | {"minimum_order_cents": -1}, "minimum_order_cents"),
        (OFFER | {"lead_time_hours": 10_000}, "lead_time_hours"),
        ({"minimum_order_cents": 100}, "offer"),  # nothing to offer
        (OFFER | {"pickup_point": "Laden\u0000"}, "pickup_point"),
    ],
)
def test_a_bad_offer_is_a_422_that_names_the_field(directory, offer, field):
    with directory.client() as client:
        answer = client.post(
            "/businesses", json={"name": "X", "category": "einzelhandel", "offer": offer}, headers=OPERATOR
        )
        assert answer.status_code == 422, answer.text
        assert field in (answer.json().get("field") or "") + answer.json()["message"], answer.json()


async def test_offer_events_tell_only_published_profiles_with_the_whole_offer(directory):
    with directory.client() as client:
        created = register(client, offer=OFFER)
        assert created["offer"] == STORED
        subject = f"hallobot.directory.offer.*.{created['id']}"
        edited = client.patch(
            f"/businesses/{created['id']}", json={"offer": OFFER | {"lead_time_hours": 2}}, headers=OPERATOR
        )
        assert edited.status_code == 200 and edited.json()["offer"]["lead_time_hours"] == 2
        assert await events_of(directory.nats_url, "DIRECTORY", subject, 0, timeout=1) == []  # still a draft

        client.post(f"/businesses/{created['id']}/publish", headers=OPERATOR)
        client.patch(f"/businesses/{created['id']}", json={"offer": OFFER}, headers=OPERATOR)
        client.patch(f"/businesses/{created['id']}", json={"offer": None}, headers=OPERATOR)
        client.patch(f"/businesses/{created['id']}", json={"offer": OFFER}, headers=OPERATOR)
        client.post(f"/businesses/{created['id']}/archive", headers=OPERATOR)
        told = await events_of(directory.nats_url, "DIRECTORY", subject, 5)
    assert [(event["type"].rsplit(".", 1)[1], event["data"].get("reason")) for event in told] == [
        ("published", None),
        ("updated", None),
        ("withdrawn", "offer_removed"),
        ("published", None),
        ("withdrawn", "archived"),
    ]
    assert told[0]["data"]["offer"] == STORED | {"lead_time_hours": 2} and told[1]["data"]["offer"] == STORED
    assert told[0]["data"]["name"] == created["name"] and told[0]["subject"] == created["id"]


async def test_an_owners_new_pickup_point_waits_for_the_office_and_the_area_goes_live(directory):
    with directory.client() as client:
        shop = published(client, name=unique("Käserei"), offer=OFFER)
        url, token = f"/businesses/{shop['id']}", owner(shop["edit_token"])
        moved = client.patch(url, json={"offer": OFFER | {"pickup_point": "Hinterhof, klingeln"}}, headers=token)
        assert moved.json()["offer"] == STORED and moved.json()["pending_change"]["fields"]["offer"]["pickup_point"]
        wider = client.patch(url, json={"offer": OFFER | {"postal_codes": ["46236", "46238", "46244"]}}, headers=token)
        assert wider.json()["offer"]["postal_codes"] == ["46236", "46238", "46244"]
        told = await events_of(directory.nats_url, "DIRECTORY", f"hallobot.directory.offer.*.{shop['id']}", 2)
    assert [event["type"].rsplit(".", 1)[1] for event in told] == ["published", "updated"]
    assert all(event["data"]["offer"]["pickup_point"] == "Ladenlokal" for event in told)  # unreviewed text stays


def test_the_public_profile_page_states_the_offer_in_the_readers_language(directory):
    with directory.client() as client:
        shop = published(client, name=unique("Feinkost"), offer=OFFER)
        german = client.get(f"/verzeichnis/{shop['id']}", headers={"accept": "text/html"}).text
        english = client.get(f"/verzeichnis/{shop['id']}?lang=en", headers={"accept": "text/html"}).text
        plain = published(client, name=unique("Schuster"))
        without = client.get(f"/verzeichnis/{plain['id']}", headers={"accept": "text/html"}).text
    assert "Liefer- und Abholangebot" in german and "<dd>46236, 46244</dd>" in german
    assert "<dd>Mo,Sa 09:00-12:00</dd>" in german and "<dd>15,00</dd>" in german and "<dd>Ladenlokal</dd>" in german
    assert "Delivery and pickup offer" in english and "<dd>15.00</dd>" in english
    assert "Liefer- und Abholangebot" not in without


# --- the edit forms ---------------------------------------------------------------------------------------


def form_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input id="f-[^"]+" name="([^"]+)" type="(?:text|tel|email|time)" value="([^"]*)"', page))


def test_the_owner_enters_the_offer_on_their_page_and_a_mistake_keeps_the_input(directory):
    with directory.client() as client:
        created = register(client, name=unique("Hofladen"))
    with owner_browser(directory, created["edit_token"]) as browser:
        page = browser.get("/verzeichnis/eintrag")
        assert "Liefer- und Abholangebot" in page.text
        fields = form_fields(page.text) | {"category": "einzelhandel", "description": created["description"]}
        offer = {
            "offer_postal_codes": "46236, 46240",
            "offer_windows": "Mo-Fr 16:00-19:00; Sa 09:00-12:00",
            "offer_minimum_order": "20,00",
            "offer_pickup_point": "Hofladen, Scheunentor",
            "offer_lead_time_hours": "24",
        }
        wrong = post(browser, "/verzeichnis/eintrag", page.text, **fields | offer | {"offer_windows": "Mo-Fr morgens"})
        assert wrong.status_code == 422 and 'id="e-offer_windows"' in wrong.text
        assert 'value="Mo-Fr morgens"' in wrong.text and 'value="Hofladen, Scheunentor"' in wrong.text
        saved = post(browser, "/verzeichnis/eintrag", page.text, **fields | offer)
        assert saved.status_code == 303, saved.text
        again = browser.get("/verzeichnis/eintrag").text
        assert 'value="Mo-Fr 16:00-19:00; Sa 09:00-12:00"' in again and 'value="20,00"' in again
    with directory.client() as client:
        stored = client.get(f"/businesses/{created['id']}", headers=OPERATOR).json()["offer"]
    assert stored == {
        "postal_codes": ["46236", "46240"],
        "windows": [
            {"days": ["mo", "tu", "we", "th", "fr"], "start": "16:00", "end": "19:00"},
            {"days": ["sa"], "start": "09:00", "end": "12:00"},
        ],
        "minimum_order_cents": 2000,
        "pickup_point": "Hofladen, Scheunentor",
        "lead_time_hours": 24,
    }


async def test_the_office_sets_an_offer_on_the_edit_page_and_it_is_told_at_once(directory):
    with directory.client() as client, console(directory) as office:
        shop = published(client, name=unique("Weinhandel"))
        path = f"{QUEUE}/{shop['id']}/bearbeiten"
        page = office.get(path)
        fields = form_fields(page.text) | {
            "category": "einzelhandel",
            "owner_language": "de",
            "description": shop["description"],
            "offerings": "Brot\nKuchen\nKaffee",
        }
        lonely = post(office, path, page.text, **fields | {"offer_minimum_order": "10"})
        assert lonely.status_code == 422 and 'id="e-offer_postal_codes"' in lonely.text
        saved = post(office, path, page.text, **fields | {"offer_postal_codes": "46242", "offer_lead_time_hours": "48"})
        assert saved.status_code == 303, saved.text
        shown = office.get(f"{QUEUE}/{shop['id']}").text
        assert "Liefergebiet: 46242 · Vorlaufzeit in Stunden: 48" in shown
        told = await events_of(directory.nats_url, "DIRECTORY", f"hallobot.directory.offer.*.{shop['id']}", 1)
    assert [event["data"]["offer"] for event in told] == [
        {
            "postal_codes": ["46242"],
            "windows": [],
            "minimum_order_cents": None,
            "pickup_point": None,
            "lead_time_hours": 48,
        }
    ]
