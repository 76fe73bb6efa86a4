"""AsyncAPI 3.0 document of a service, generated from the catalog and its subscriptions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from shared.catalog import EventData
from shared.consumer import Subscription
from shared.envelope import CONTENT_TYPE, CloudEvent
from shared.streams import stream_for_subject


def _channel_key(address: str) -> str:
    return address.replace(".", "_").replace("*", "id").replace(">", "all")


def _envelope_schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    data_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in data_schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = data_schema
    envelope = CloudEvent.model_json_schema()
    envelope["properties"]["data"] = {"$ref": f"#/components/schemas/{model.__name__}"}
    if issubclass(model, EventData):
        envelope["properties"]["type"] = {"const": model.full_type()}
    envelope["title"] = f"{model.__name__}Event"
    return envelope


def build_asyncapi(
    service: str,
    *,
    publishes: list[type[EventData]],
    subscriptions: list[Subscription],
    description: str = "",
    version: str = "1",
) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}

    def message_ref(model: type[BaseModel], cloudevent: bool) -> dict[str, str]:
        name = model.__name__
        if name not in messages:
            payload = _envelope_schema(model, schemas) if cloudevent else model.model_json_schema()
            messages[name] = {
                "name": name,
                "title": getattr(model, "TYPE", name),
                "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else name,
                "contentType": CONTENT_TYPE if cloudevent else "application/json",
                "payload": payload,
            }
        return {"$ref": f"#/components/messages/{name}"}

    for model in publishes:
        key = _channel_key(model.subject_pattern())
        ref = message_ref(model, cloudevent=True)
        channels[key] = {
            "address": model.subject_pattern(),
            "description": f"stream {stream_for_subject(model.subject_pattern())}; last token is the entity id",
            "messages": {model.__name__: ref},
        }
        operations[f"publish_{key}"] = {"action": "send", "channel": {"$ref": f"#/channels/{key}"}}

    for sub in subscriptions:
        key = f"{_channel_key(sub.subject)}__{sub.name}"
        refs = {m.__name__: message_ref(m, issubclass(m, EventData)) for m in sub.payload_types}
        channels[key] = {
            "address": sub.subject,
            "description": f"stream {sub.stream}, durable pull consumer {sub.name}. {sub.description}".strip(),
            "messages": refs,
        }
        operations[f"receive_{sub.name}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{key}"}}

    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"HalloBot {service}", "version": version, "description": description},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
