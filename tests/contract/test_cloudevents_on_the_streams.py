"""Every event that a running system puts on its streams is a CloudEvent by the official CloudEvents
Python SDK (`cloudevents.core`), read from JetStream with plain nats-py; its `dataschema` URL resolves
on every service to a JSON Schema that its `data` validates against (jsonschema, 2020-12).

Read: every message of every stream that holds events: the public DIRECTORY, EVENTS, WIFI, FAIRTRADE,
NOTIFICATIONS and the internal PRIVATE. Not read: WIFI_REPORTS (the hosts' raw JSON reports, not ours
to shape) and DLQ (dead letters: the reason and the original message, which may be anything).
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlparse

import httpx
import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from jsonschema import Draft202012Validator

from shared.config import SERVICES
from tests.contract.traffic import cause_events_of_every_service
from tests.support.stream import eventually, stream_messages

EVENT_STREAMS = ("DIRECTORY", "EVENTS", "WIFI", "FAIRTRADE", "NOTIFICATIONS", "PRIVATE")
SOURCE_OF_STREAM = {
    "DIRECTORY": "/hallobot/directory",
    "FAIRTRADE": "/hallobot/directory",
    "EVENTS": "/hallobot/events",
    "WIFI": "/hallobot/wifi",
    "NOTIFICATIONS": "/hallobot/notifications",
}
TYPE_PREFIX = "de.bottrop.hallobot."


@pytest.fixture(scope="module")
async def streams(contract_system) -> dict[str, list]:
    """The messages of every event stream, once this run's changes in every service are on them."""
    expected = await asyncio.to_thread(cause_events_of_every_service, contract_system)
    nc = await contract_system.connect()
    js = nc.jetstream()
    try:

        async def arrived() -> dict[str, list] | None:
            found = {stream: await stream_messages(js, stream) for stream in EVENT_STREAMS}
            subjects = {stream: [msg.subject for msg in msgs] for stream, msgs in found.items()}
            if not all(any(s.startswith(prefix) for s in subjects[stream]) for stream, prefix in expected.items()):
                return None
            # the registrant's mail went out: notifications published the delivery of that notice
            notice_ids = {json.loads(m.data)["id"] for m in found["PRIVATE"] if m.subject == expected["PRIVATE"]}
            sent = [json.loads(m.data)["data"].get("event_id") for m in found["NOTIFICATIONS"]]
            return found if notice_ids & set(sent) else None

        found = await eventually(arrived, timeout=60, interval=0.5)
    finally:
        await nc.close()
    assert found, f"not every service published within a minute; waited for {expected} and a delivery"
    return found


def test_every_event_on_every_stream_parses_with_the_cloudevents_sdk(streams):
    parsed = 0
    for stream, messages in streams.items():
        assert messages, f"{stream} holds no event"
        for msg in messages:
            event = JSONFormat().read(CloudEvent, msg.data)  # raises on anything that is not a CloudEvent 1.0
            assert event.get_specversion() == "1.0"
            assert msg.headers["Nats-Msg-Id"] == event.get_id()
            assert msg.headers["Content-Type"] == "application/cloudevents+json"
            short_type = event.get_type().removeprefix(TYPE_PREFIX)
            assert event.get_type().startswith(TYPE_PREFIX)
            assert msg.subject == f"hallobot.{short_type}.{event.get_subject()}"
            assert event.get_source() == SOURCE_OF_STREAM.get(stream, event.get_source())
            assert event.get_time() is not None and event.get_time().utcoffset().total_seconds() == 0
            assert event.get_datacontenttype() == "application/json"
            assert isinstance(event.get_data(), dict)
            parsed += 1
    assert parsed >= len(EVENT_STREAMS)


def test_the_public_streams_carry_no_private_event_and_private_ones_stay_on_private(streams):
    for stream, messages in streams.items():
        for msg in messages:
            event = JSONFormat().read(CloudEvent, msg.data)
            private = event.get_type().startswith(TYPE_PREFIX + "private.")
            assert private == (stream == "PRIVATE"), f"{event.get_type()} on {stream}"


def test_every_dataschema_resolves_on_every_service_and_the_data_matches_it(contract_system, streams):
    events = [JSONFormat().read(CloudEvent, msg.data) for messages in streams.values() for msg in messages]
    schemas: dict[str, dict] = {}
    for url in sorted({event.get_dataschema() for event in events}):
        assert url, "an event without dataschema"
        path = urlparse(url).path
        for service in SERVICES:
            answer = httpx.get(contract_system.url(service) + path, timeout=30)
            assert answer.status_code == 200, f"{service} does not serve {path}: {answer.status_code}"
            assert answer.headers["content-type"].startswith("application/schema+json")
            schemas[url] = answer.json()
        assert schemas[url]["$id"] == url
        Draft202012Validator.check_schema(schemas[url])
    for event in events:
        Draft202012Validator(schemas[event.get_dataschema()]).validate(event.get_data())
