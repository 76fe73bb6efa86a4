"""Traces across the bus (shared/tracing.py).

End to end as processes: the events service and notifications on a real nats-server, mails to
aiosmtpd, with OTEL_EXPORTER_OTLP_ENDPOINT pointed at a small OTLP/HTTP receiver in this test (it
decodes the protobuf export requests). One registration is one trace: the caller's span → the events
service's server span → the relay's publish → the notifications consumer → the SMTP send.

In process: the pieces (the outbox's extension, the relay's scan, the parents) with an SDK provider
and an in-memory exporter, switched off again afterwards."""

from __future__ import annotations

import gzip
import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import tracing
from shared.catalog import DeliverySent
from shared.envelope import utcnow
from shared.outbox import _with_actor
from tests.notifications.test_webhooks import Receiver as WebhookReceiver
from tests.support.system import OPERATOR, System, wait_until


class Receiver:
    """An OTLP/HTTP trace receiver: POST /v1/traces with an ExportTraceServiceRequest (protobuf)."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.take(ExportTraceServiceRequest.FromString(body), self.path)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def take(self, request: ExportTraceServiceRequest, path: str) -> None:
        assert path == "/v1/traces"
        found = []
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        {
                            "service": attributes.get("service.name"),
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_id": span.parent_span_id.hex(),
                            "kind": span.kind,
                            "attributes": {a.key: a.value for a in span.attributes},
                        }
                    )
        with self.lock:
            self.spans.extend(found)

    def of_trace(self, trace_id: str) -> list[dict]:
        with self.lock:
            return [span for span in self.spans if span["trace_id"] == trace_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="module")
def system(tmp_path_factory, receiver):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with System(tmp_path_factory.mktemp("tracing"), env, services=("events", "notifications")) as running:
        yield running


def test_one_registration_is_one_trace_from_the_post_through_the_bus_to_the_mail(system, receiver):
    tag = uuid.uuid4().hex[:6]
    address = f"spur-{tag}@example.org"
    starts = utcnow() + timedelta(days=10)
    city = WebhookReceiver()  # a city system with a webhook on registrations
    with system.client("notifications") as notifications:
        allowed = notifications.post("/webhook-allowlist", json={"entry": "127.0.0.1/32"}, headers=OPERATOR)
        assert allowed.status_code == 201
        webhook = {"channel": "webhook", "url": city.url, "topics": ["events.registration.*"]}
        assert notifications.post("/subscriptions", json=webhook, headers=OPERATOR).status_code == 201
    with system.client("events") as api:
        event = api.post(
            "/events",
            json={
                "title": f"Spurensuche {tag}",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "venue": "Rathaus Bottrop",
                "capacity": 5,
            },
            headers=OPERATOR,
        ).json()
        assert api.post(f"/events/{event['id']}/publish", headers=OPERATOR).status_code == 200
        trace_id, caller = os.urandom(16).hex(), os.urandom(8).hex()
        person = {"name": "Teilnehmende Person", "email": address, "consent": True}
        registered = api.post(
            f"/events/{event['id']}/registrations", json=person, headers={"traceparent": f"00-{trace_id}-{caller}-01"}
        )
        assert registered.status_code == 201, registered.text
    assert wait_until(lambda: system.smtp.to(address), 60), "no mail arrived"

    def chain() -> dict[str, dict] | None:
        spans = receiver.of_trace(trace_id)
        by_id = {span["span_id"]: span for span in spans}
        mails = [span for span in spans if span["name"] == "smtp send"]
        return {"spans": by_id, "mail": mails[0]} if mails else None

    found = wait_until(chain, 30)
    assert found, f"no mail span in the trace; spans seen: {[(s['service'], s['name']) for s in receiver.spans]}"
    spans, mail = found["spans"], found["mail"]
    consumer = spans[mail["parent_id"]]
    publish = spans[consumer["parent_id"]]
    server = spans[publish["parent_id"]]
    assert (mail["service"], consumer["service"], publish["service"], server["service"]) == (
        "hallobot-notifications",
        "hallobot-notifications",
        "hallobot-events",
        "hallobot-events",
    )
    assert consumer["name"] == "notifications-registrants process"
    assert consumer["attributes"]["messaging.destination.name"].string_value.startswith(
        "hallobot.private.events.registration.notice."
    )
    assert publish["name"] == "publish" and publish["kind"] == Span.SpanKind.SPAN_KIND_PRODUCER
    assert server["name"] == "POST /events/{event_id}/registrations"
    assert server["attributes"]["http.response.status_code"].int_value == 201
    assert server["parent_id"] == caller  # the caller's traceparent header is the root
    assert address not in str(mail["attributes"])  # spans never carry the address

    # the public event of the same registration is in the same trace, fanned out by its own consumer
    public = [s for s in spans.values() if s["name"] == "notifications-events process"]
    assert public and all(spans[s["parent_id"]]["name"] == "publish" for s in public)
    # the delivery row keeps the consumer span's context for the sender
    stored = system.query("notifications", "SELECT traceparent FROM deliveries WHERE recipient = ?", address)
    assert stored == [(f"00-{trace_id}-{consumer['span_id']}-01",)]

    # the webhook of the public event: in the same trace, its request carries the send span's context,
    # and its CloudEvent the extension of the request that made the change
    assert wait_until(lambda: city.requests, 30), "no webhook arrived"
    headers, body = city.requests[0]
    sends = wait_until(lambda: [s for s in receiver.of_trace(trace_id) if s["name"] == "webhook send"], 30)
    assert sends, "no webhook span in the trace"
    [send] = sends
    spans = {span["span_id"]: span for span in receiver.of_trace(trace_id)}
    fan_out = spans[send["parent_id"]]
    assert fan_out["name"] == "notifications-events process"
    assert spans[spans[fan_out["parent_id"]]["parent_id"]] == server
    assert headers["traceparent"] == f"00-{trace_id}-{send['span_id']}-01"
    assert json.loads(body)["traceparent"] == f"00-{trace_id}-{server['span_id']}-01"
    city.close()


@pytest.fixture
def in_memory() -> Iterator[InMemorySpanExporter]:
    """Traces on in this process for one test (the SDK's global provider can be set once per process;
    the module flag is what the code asks)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    before = (tracing._State.enabled, tracing._State.tracer, tracing._State.provider)
    tracing._State.enabled, tracing._State.tracer, tracing._State.provider = True, provider.get_tracer("test"), provider
    yield exporter
    tracing._State.enabled, tracing._State.tracer, tracing._State.provider = before


def test_an_event_staged_in_a_span_carries_its_traceparent_and_none_without_traces(in_memory):
    event = DeliverySent(delivery_id="d1", channel="email", recipient="r1", event_id="e1").to_event()
    with tracing.span("POST /x") as span:
        staged = _with_actor(event)
    context = span.get_span_context()
    expected = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    assert staged.model_extra["traceparent"] == expected
    assert tracing.traceparent_in(staged.to_json()) == {"traceparent": staged.model_extra["traceparent"]}
    tracing._State.enabled = False
    assert "traceparent" not in (_with_actor(event).model_extra or {})
    assert tracing.span("off") is tracing._NOTHING


def test_a_batch_gives_each_message_its_own_consumer_span_and_carrier(in_memory):
    parents = [f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01" for _ in range(2)]

    class Delivery:
        def __init__(self, n: int) -> None:
            self.message_id, self.subject, self.event = f"m{n}", "hallobot.x", None

    with tracing.consumer_spans("c", [({"traceparent": p}, Delivery(n)) for n, p in enumerate(parents)]):
        carriers = [tracing.carrier_for(f"m{n}")["traceparent"] for n in range(2)]
    spans = in_memory.get_finished_spans()
    assert [f"{s.context.trace_id:032x}" for s in spans] == [p.split("-")[1] for p in parents]
    assert [f"{s.parent.span_id:016x}" for s in spans] == [p.split("-")[2] for p in parents]
    assert carriers == [f"00-{s.context.trace_id:032x}-{s.context.span_id:016x}-01" for s in spans]
    assert tracing.carrier_for("m0") == {}  # outside the batch, and no current span
