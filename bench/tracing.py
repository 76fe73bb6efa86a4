"""What traces cost (shared/tracing.py): requests/s of one route with traces off, as a service runs
without OTEL_EXPORTER_OTLP_ENDPOINT, against the same route with traces on.

The route does what a use case's request does for tracing: it stages an event through the outbox's
envelope code (`_with_actor`, which adds `traceparent` when traces are on) and answers JSON, behind
the shared middleware (security headers, metrics) and FastAPI's own OpenTelemetry layer configured as
shared/service/app.py does. The app is called as ASGI directly (no server, no client), so nothing
around it dilutes the difference. Contenders, taking turns in short slices so that a change of the
machine's load hits all alike, each timed by the CPU time of this thread (on a shared machine the
wall clock measures the neighbours), the median slice per contender:

- `baseline`: the code before traces: FastAPI's telemetry off, the outbox's `_with_actor` as it was
- `off`: as a service runs without OTEL_EXPORTER_OTLP_ENDPOINT: no SDK provider, the API's no-op,
  FastAPI's layer configured as shared/service/app.py does then
- `sdk, no exporter`: an SDK TracerProvider without span processor (spans made, sampled, dropped)
- `sdk + batch`: the SDK with a BatchSpanProcessor and an exporter that drops what it gets (as on,
  without the network)

    .venv/bin/python bench/tracing.py [--rounds 60] [--json PATH]

The last line is one JSON object; `off_ratio` = baseline's CPU per request ÷ off's (goal ≥ 0.97:
no cost worth measuring).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi import FastAPI  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402
from starlette.types import ASGIApp  # noqa: E402

from shared import tracing  # noqa: E402
from shared.catalog import DeliverySent  # noqa: E402
from shared.console.actor import current_actor  # noqa: E402
from shared.envelope import CloudEvent  # noqa: E402
from shared.outbox import _with_actor  # noqa: E402
from shared.service.app import TELEMETRY  # noqa: E402
from shared.service.middleware import RequestMetrics, SecurityHeaders, ServiceMiddleware  # noqa: E402

SLICE = 200  # requests per slice


def _with_actor_before(event: CloudEvent) -> CloudEvent:
    """shared/outbox.py's `_with_actor` as it was before traces."""
    actor = current_actor()
    return event.model_copy(update={"actor": actor}) if actor else event


STAGE = _with_actor


class Dropping(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def app(telemetry: dict[str, Any]) -> FastAPI:
    class Shaped(FastAPI):
        def build_middleware_stack(self) -> ASGIApp:
            return ServiceMiddleware(
                super().build_middleware_stack(),
                headers=SecurityHeaders(production=False),
                metrics=RequestMetrics(service="bench"),
            )

    service = Shaped(telemetry=telemetry)

    @service.post("/things/{thing_id}", status_code=201)
    async def stage(thing_id: str) -> dict[str, str]:
        event = STAGE(DeliverySent(delivery_id=thing_id, channel="email", recipient="r", event_id="e").to_event())
        return {"id": event.id, "size": str(len(event.to_json()))}

    return service


async def call(service: FastAPI, n: int) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/things/t{n}",
        "raw_path": f"/things/t{n}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"content-length", b"0")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await service(scope, receive, send)
    assert status == 201, status


class Contender:
    def __init__(self, name: str, service: FastAPI, provider: TracerProvider | None, outbox_code: bool) -> None:
        self.name, self.service, self.provider = name, service, provider
        self.outbox_code = outbox_code
        self.slices: list[float] = []  # CPU seconds per request, one figure per slice

    async def run_slice(self) -> None:
        global STAGE
        STAGE = _with_actor if self.outbox_code else _with_actor_before
        tracing._State.enabled = self.provider is not None
        tracing._State.tracer = self.provider.get_tracer("bench") if self.provider else tracing.trace.NoOpTracer()
        started = time.thread_time()
        for n in range(SLICE):
            await call(self.service, n)
        self.slices.append((time.thread_time() - started) / SLICE)


async def main(rounds: int) -> dict[str, Any]:
    with_exporter = TracerProvider()
    with_exporter.add_span_processor(BatchSpanProcessor(Dropping()))
    no_exporter = TracerProvider()
    contenders = [
        Contender("baseline", app({"tracing": False, "metrics": False, "logs": False}), None, False),
        Contender("off", app(TELEMETRY | {"tracing": False}), None, True),
        Contender("sdk, no exporter", app(TELEMETRY | {"tracer_provider": no_exporter}), no_exporter, True),
        Contender("sdk + batch", app(TELEMETRY | {"tracer_provider": with_exporter}), with_exporter, True),
    ]
    for contender in contenders:  # warm up: the first requests build the middleware stack and caches
        await contender.run_slice()
        contender.slices = []
    for n in range(rounds):
        for contender in contenders[n % 4 :] + contenders[: n % 4]:  # each takes each place in turn
            await contender.run_slice()
    with_exporter.shutdown()
    per_request = {c.name: statistics.median(c.slices) for c in contenders}
    base = per_request["baseline"]
    print(f"{'contender':<18} {'CPU µs/request':>15} {'req per CPU-s':>14} {'ratio to baseline':>18}")
    for name, seconds in per_request.items():
        print(f"{name:<18} {seconds * 1e6:>15.1f} {1 / seconds:>14.0f} {base / seconds:>18.3f}")
    return {
        "bench": "tracing",
        "cpu_us_per_request": {name: round(seconds * 1e6, 1) for name, seconds in per_request.items()},
        "off_ratio": round(base / per_request["off"], 3),
        "sdk_no_exporter_ratio": round(base / per_request["sdk, no exporter"], 3),
        "sdk_batch_ratio": round(base / per_request["sdk + batch"], 3),
        "ok": True,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = asyncio.run(main(args.rounds))
    line = json.dumps(result)
    print(line)
    if args.json:
        args.json.write_text(line + "\n")
