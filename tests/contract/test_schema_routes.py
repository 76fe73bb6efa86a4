"""The data schemas that `dataschema` points at, for every catalog type (not only those a run happens to
cause), and the event catalog page generated from the same catalog."""

from __future__ import annotations

from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from hallobot import event_catalog
from hallobot.docs import DOCS, generated_documents
from shared.catalog import CATALOG
from shared.http import install_error_handlers
from shared.schema_routes import router


@pytest.fixture
async def client():
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as http:
        yield http


async def test_every_catalog_type_has_its_dataschema_served_at_the_urls_own_path(client):
    index = (await client.get("/schemas/events")).json()
    assert set(index) == {model.full_type() for model in CATALOG.values()}
    for model in CATALOG.values():
        path = urlparse(model.dataschema()).path
        assert index[model.full_type()] == path
        answer = await client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/schema+json"
        schema = answer.json()
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == model.dataschema() and schema["additionalProperties"] is False


async def test_a_served_schema_refuses_data_its_model_refuses(client):
    schema = (await client.get("/schemas/events/events.registration.confirmed/v1.json")).json()
    Draft202012Validator(schema).validate({"registration_id": "r1", "event_id": "e1", "slot_id": None})
    with pytest.raises(ValidationError):  # a registration is an id, never a person
        Draft202012Validator(schema).validate({"registration_id": "r1", "event_id": "e1", "email": "a@b.de"})


async def test_an_unknown_type_or_version_is_a_404_with_a_message(client):
    unknown = await client.get("/schemas/events/wifi.hotspot.exploded/v1.json")
    assert unknown.status_code == 404 and "wifi.hotspot.exploded" in unknown.json()["message"]
    assert (await client.get("/schemas/events/wifi.hotspot.registered/v2.json")).status_code == 404


def test_the_event_catalog_page_names_every_type_with_its_stream_and_fields():
    page = generated_documents()[DOCS / "events.md"]
    for name, model in CATALOG.items():
        assert f"### `{name}`" in page
        assert all(f"| `{field}` |" in page for field in model.model_fields)
    assert "stream: PRIVATE (private" in page and "stream: WIFI (public)" in page


def test_a_catalog_type_without_a_when_sentence_stops_the_generator(monkeypatch):
    monkeypatch.delitem(event_catalog.WHEN, "wifi.hotspot.registered")
    with pytest.raises(ValueError, match=r"wifi\.hotspot\.registered"):
        event_catalog.render({})
