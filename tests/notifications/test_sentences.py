"""Every public event of the catalog told as a sentence a person reads (sentences.py), in German and
English: never a type string, an id, a slug or seconds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from services.notifications.domain import PUBLIC_TYPES
from services.notifications.sentences import Names, sentence
from shared.catalog import CATALOG

HOTSPOT, OTHER_HOTSPOT = "5f0c1c9e-3b8e-4a55-9a4e-0d6f4a3c2b11", "0b7d2c8e-1111-4a55-9a4e-0d6f4a3c2b22"
EVENT, BUSINESS = "9a1e7c3d-2f4b-4c6d-8e9f-0a1b2c3d4e5f", "7c6b5a49-3827-4615-9e0d-1c2b3a495867"
AT = datetime(2026, 12, 8, 17, 0, 42, tzinfo=UTC)
NAMES = Names(
    hotspots={HOTSPOT: "Kirchplatz", OTHER_HOTSPOT: "ZOB Berliner Platz"}, events={EVENT: "Handwerker-Frühstück"}
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")
SLUGS = re.compile(r"\b[a-z]+_[a-z_]+\b|handwerker-fruehstueck")


def example(event_type: str) -> dict:
    """A payload of `event_type` as its service would publish it (validated by the catalog model)."""
    common = {
        "hotspot_id": HOTSPOT,
        "site_name": "Kirchplatz",
        "previous_site_name": "Kirchplatz am Markt",
        "outage_id": "out-1",
        "recovered_at": AT,
        "previous": "up",
        "status": "down",
        "reason": "no heartbeat",
        "since": AT,
        "incident_id": "inc-1",
        "hotspot_ids": [HOTSPOT, OTHER_HOTSPOT],
        "opened_at": AT,
        "resolved_at": AT,
        "month": "2026-11",
        "hotspots": [],
        "business_id": BUSINESS,
        "category": "einzelhandel",
        "name": "Eine-Welt-Laden",
        "self_registered": True,
        "changed": ["title"],
        "event_id": EVENT,
        "title": "Handwerker-Frühstück",
        "series": "handwerker-fruehstueck",
        "starts_at": AT,
        "ends_at": AT,
        "confirmed": 12,
        "attended": 10,
        "no_shows": 2,
        "attendance_taken": True,
        "reply_by": AT,
        "registration_id": "4d3c2b1a-0f9e-4d8c-b7a6-958473625140",
        "position": 2,
        "criterion": "civil_society",
        "count": 3,
        "target": 4,
        "milestone": "title_awarded",
        "on": date(2026, 3, 3),
        "expires_on": date(2028, 3, 3),
        "days_left": 90,
        "network": "wirtschaftsallianz",
        "network_name": "Wirtschaftsallianz Bottrop",
        "offer": {"postal_codes": ["46236", "46238"], "pickup_point": "Ladenlokal"},
    }
    model = CATALOG[event_type]
    data = {name: common[name] for name in model.model_fields if name in common}
    if event_type == "events.registration.cancelled":
        data["reason"] = "by_registrant"
    if event_type == "directory.offer.withdrawn":
        data["reason"] = "offer_removed"
    return model.model_validate(data).model_dump(mode="json")


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("event_type", PUBLIC_TYPES)
def test_every_public_event_is_told_without_type_string_id_slug_or_seconds(event_type, language):
    told = sentence(event_type, example(event_type), language, NAMES)
    assert told and told != sentence("unknown.type", {}, language), f"{event_type} has no sentence of its own"
    assert event_type not in told and not re.search(r"\b[a-z]+\.[a-z_]+\.[a-z_]+\b", told)
    assert not UUID.search(told), told
    assert not SECONDS.search(told), told
    assert not SLUGS.search(told), told


def test_a_hotspot_is_named_by_its_site_and_an_unknown_one_by_no_id():
    data = example("wifi.hotspot.status_changed")
    assert sentence("wifi.hotspot.status_changed", data, "de", NAMES) == (
        "WLAN-Hotspot Kirchplatz ist jetzt ausgefallen (vorher in Betrieb)."
    )
    assert (
        sentence("wifi.hotspot.status_changed", data, "en", NAMES)
        == "Wi-Fi hotspot Kirchplatz is now down (before: working)."
    )
    renamed = sentence("wifi.hotspot.status_changed", {**data, "site_name": "Kulturkirche"}, "de", NAMES)
    assert renamed == "WLAN-Hotspot Kulturkirche ist jetzt ausgefallen (vorher in Betrieb)."  # the event's own name
    unknown = sentence("wifi.hotspot.status_changed", {**data, "site_name": None}, "de", Names())
    assert unknown == "WLAN-Hotspot (Name folgt) ist jetzt ausgefallen (vorher in Betrieb)."


def test_fairtrade_criteria_and_times_in_plain_words():
    told = sentence("fairtrade.criterion.met", example("fairtrade.criterion.met"), "de")
    assert told == "Fairtrade-Stadt: Das Kriterium „Kitas, Schulen, Vereine und Kirchen“ ist erfüllt (3 von 4)."
    shops = sentence("fairtrade.criterion.lost", {"criterion": "retail_gastronomy", "count": 20, "target": 33}, "de")
    assert "„faire Produkte in Geschäften und Gastronomie“ ist nicht mehr erfüllt" in shops
    all_met = sentence("fairtrade.milestone.reached", {"milestone": "all_criteria_met", "on": "2026-11-26"}, "en")
    assert all_met.startswith("All five Fairtrade Town criteria are met") and "all_criteria_met" not in all_met
    published = sentence("events.event.published", example("events.event.published"), "de")
    assert published == "Neue Veranstaltung: Handwerker-Frühstück am Dienstag, 8. Dezember 2026, 18:00 Uhr."
    assert "Tuesday 8 December 2026, 18:00" in sentence(
        "events.event.published", example("events.event.published"), "en"
    )


def test_a_payload_that_does_not_fit_its_type_gets_a_general_sentence_not_an_error():
    assert sentence("wifi.hotspot.status_changed", {"status": 3}, "de") == "Neuigkeit bei HalloBot."
    assert sentence("directory.business.published", {}, "en") == "News from HalloBot."
