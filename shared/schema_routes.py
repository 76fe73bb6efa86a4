"""The JSON Schemas that events' `dataschema` URLs point at, served by every service.

An event's `dataschema` is `https://hallo-bot.de/schemas/events/<type>/v<version>.json` (see
`EventData.dataschema`). Every service serves the same path, `/schemas/events/<type>/v<version>.json`,
for every type of the catalog (not only its own), so the URL resolves wherever the public address
forwards `/schemas/` to any one service, and a consumer can fetch the schema of `data` it receives.
The schema is JSON Schema 2020-12, generated from the catalog's pydantic model (what `payload_of`
validates against); its `$id` is the dataschema URL itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.catalog import CATALOG, EventData
from shared.errors import NotFound
from shared.http import ERROR_RESPONSES

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_MEDIA_TYPE = "application/schema+json"
PATH = "/schemas/events/{event_type}/v{version}.json"


def schema_path(model: type[EventData]) -> str:
    """The path below which this model's dataschema URL is served (the URL's own path)."""
    return PATH.format(event_type=model.TYPE, version=model.VERSION)


def json_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of `data` of one catalog type (KeyError for an unknown type)."""
    model = CATALOG[event_type]
    schema = model.model_json_schema()
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": model.dataschema(),
        "title": schema.pop("title", model.__name__),
        "description": (model.__doc__ or "").strip() or f"data of {model.full_type()}",
        **schema,
    }


router = APIRouter(tags=["contract"])
_SCHEMA = {"description": "a JSON Schema (2020-12)", "content": {SCHEMA_MEDIA_TYPE: {"schema": {"type": "object"}}}}


@router.get(
    "/schemas/events",
    summary="Every event type of the catalog with the URL of its data schema",
    response_model=dict[str, str],
)
async def schema_index() -> dict[str, str]:
    return {model.full_type(): schema_path(model) for model in CATALOG.values()}


@router.get(
    PATH,
    summary="The JSON Schema of `data` of one event type (what its `dataschema` URL points at)",
    response_class=JSONResponse,
    responses={200: _SCHEMA, 404: ERROR_RESPONSES[404]},
)
async def event_schema(event_type: str, version: int) -> JSONResponse:
    model = CATALOG.get(event_type)
    if model is None or version != model.VERSION:
        raise NotFound(f"no schema for event type {event_type!r} version {version}", field="event_type")
    return JSONResponse(json_schema(event_type), media_type=SCHEMA_MEDIA_TYPE)
