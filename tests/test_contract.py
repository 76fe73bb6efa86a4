"""The public event contract: envelope, catalog, subjects and streams."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from hallobot.services import settings_for
from shared.catalog import CATALOG, HotspotStatusChanged, RegistrationConfirmed, payload_of
from shared.envelope import CloudEvent, utcnow
from shared.streams import STREAMS, stream_for_subject

# The public event types that subscribers were promised; the catalog may grow beyond them, never shrink.
PROMISED_TYPES = {
    "directory.business.registered",
    "directory.business.updated",
    "directory.business.published",
    "directory.business.unpublished",
    "directory.business.archived",
    "fairtrade.criterion.met",
    "fairtrade.criterion.lost",
    "fairtrade.milestone.reached",
    "fairtrade.recertification.due",
    "events.event.published",
    "events.event.updated",
    "events.event.cancelled",
    "events.registration.confirmed",
    "events.registration.waitlisted",
    "events.registration.promoted",
    "events.registration.cancelled",
    "wifi.hotspot.registered",
    "wifi.hotspot.status_changed",
    "notifications.delivery.sent",
    "notifications.delivery.failed",
}
PERSONAL_FIELDS = re.compile(r"email|mail|name_of|first_name|last_name|phone|address|organisation", re.I)


def test_the_catalog_holds_every_promised_event_type():
    assert set(CATALOG) >= PROMISED_TYPES


@pytest.mark.parametrize("type_name", sorted(CATALOG))
def test_every_public_type_lives_in_its_domain_stream_and_carries_no_personal_fields(type_name):
    model = CATALOG[type_name]
    stream = stream_for_subject(model.subject_pattern())
    assert stream == type_name.split(".")[0].upper()
    if type_name.startswith("private."):
        return  # private types carry personal data by design; the PRIVATE stream is internal only
    assert not [field for field in model.model_fields if PERSONAL_FIELDS.search(field)]


def test_an_event_becomes_a_cloudevent_with_its_subject_and_headers():
    since = utcnow()
    data = HotspotStatusChanged(hotspot_id="kirchplatz", previous="up", status="down", reason="silence", since=since)
    event = data.to_event()
    body = json.loads(event.to_json())
    assert body["specversion"] == "1.0"
    assert body["type"] == "de.bottrop.hallobot.wifi.hotspot.status_changed"
    assert body["source"] == "/hallobot/wifi" and body["subject"] == "kirchplatz"
    assert body["datacontenttype"] == "application/json"
    assert body["time"].endswith("Z")
    assert body["dataschema"].endswith("/wifi.hotspot.status_changed/v1.json")
    assert data.nats_subject() == "hallobot.wifi.hotspot.status_changed.kirchplatz"
    assert event.headers() == {"Nats-Msg-Id": event.id, "Content-Type": "application/cloudevents+json"}
    assert payload_of(CloudEvent.model_validate_json(event.to_json())) == data


def test_a_registration_event_is_an_id_not_a_person():
    with pytest.raises(ValidationError):
        RegistrationConfirmed(registration_id="r1", event_id="e1", email="a@b.de")


def test_an_envelope_without_timezone_is_refused():
    with pytest.raises(ValidationError, match="timezone"):
        CloudEvent(id="1", source="/x", type="de.bottrop.hallobot.x", time="2026-01-01T10:00:00")


def test_every_stream_of_the_design_is_declared_with_dedup_and_the_short_lived_ones_expire():
    names = {spec.name: spec for spec in STREAMS}
    assert set(names) == {"DIRECTORY", "EVENTS", "WIFI", "WIFI_REPORTS", "FAIRTRADE", "NOTIFICATIONS", "PRIVATE", "DLQ"}
    assert names["PRIVATE"].max_age_s and names["WIFI_REPORTS"].max_age_s
    assert names["WIFI"].max_age_s is None  # status history is kept (Wifi4EU three-year duty)
    assert all(spec.config().duplicate_window > 0 for spec in STREAMS)
    assert stream_for_subject("hallobot.wifi.reports.kirchplatz") == "WIFI_REPORTS"
    assert stream_for_subject("hallobot.wifi.hotspot.status_changed.x") == "WIFI"


def test_settings_read_the_service_database_url_and_refuse_placeholder_tokens_in_production(monkeypatch):
    monkeypatch.setenv("EVENTS_DATABASE_URL", "postgresql://db/events")
    assert settings_for("events").resolved_database_url() == "postgresql://db/events"
    assert settings_for("wifi").resolved_database_url().endswith("wifi.sqlite3")
    monkeypatch.setenv("HALLOBOT_ENV", "production")
    monkeypatch.setenv("HALLOBOT_OPERATOR_TOKEN", "changeme")
    with pytest.raises(ValidationError, match="HALLOBOT_OPERATOR_TOKEN"):
        settings_for("events")


def test_nats_url_may_list_the_servers_of_a_cluster(monkeypatch):
    monkeypatch.setenv("NATS_URL", "nats://wifi:pw@n1:4222, nats://wifi:pw@n2:4222,")
    assert settings_for("wifi").nats_servers() == ["nats://wifi:pw@n1:4222", "nats://wifi:pw@n2:4222"]


def test_event_ids_are_time_ordered_uuid7s():
    import uuid

    from shared.envelope import new_event_id

    ids = [new_event_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)  # the millisecond prefix never goes back
