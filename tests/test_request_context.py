"""The request id and the trace id meet in the log: the one middleware layer (shared/service/middleware.py)
around an app that opens an OpenTelemetry span inside it, as the tracing layer does, and the logging
filter of shared/logging.py; the lines are read back as JSON."""

from __future__ import annotations

import io
import json
import logging

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pythonjsonlogger.json import JsonFormatter

from shared.logging import RequestContext
from shared.service.middleware import AccessLog, RequestMetrics, SecurityHeaders, ServiceMiddleware


async def test_every_line_of_a_request_carries_its_request_id_and_trace_id_and_the_span_the_request_id():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    route_log = logging.getLogger("test.route")

    async def app(scope, receive, send):  # a span layer and a route inside the shared middleware
        with tracer.start_as_current_span("GET /hallo"):
            route_log.warning("inside the route")
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.getLogger("hallobot.access").level
    logging.getLogger("hallobot.access").setLevel(logging.INFO)
    try:
        wrapped = ServiceMiddleware(
            app, headers=SecurityHeaders(production=False), metrics=RequestMetrics(service="test"), access=AccessLog()
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://test") as client:
            answer = await client.get("/hallo?token=geheim-123")
        route_log.warning("after the request")
    finally:
        root.removeHandler(handler)
        logging.getLogger("hallobot.access").setLevel(level)

    request_id = answer.headers["x-request-id"]
    (span,) = exporter.get_finished_spans()
    trace_id = format(span.context.trace_id, "032x")
    # only this test's lines: in a full run, tasks left by earlier tests may log to the root logger too
    ours = ("test.route", "hallobot.access")
    lines = [line for line in map(json.loads, out.getvalue().splitlines()) if line["name"] in ours]
    inside, access, after = lines
    assert inside["message"] == "inside the route" and access["name"] == "hallobot.access"
    assert inside["request_id"] == access["request_id"] == request_id
    assert inside["trace_id"] == access["trace_id"] == trace_id
    assert access["path"] == "/hallo" and "geheim-123" not in json.dumps(lines)  # (httpx's own line may say it)
    assert "request_id" not in after and "trace_id" not in after
    assert span.attributes["http.request.header.x-request-id"] == (request_id,)
