"""Traces across the bus (OpenTelemetry): one trace per change, from the HTTP request through the
outbox row and the NATS message to the consumer and on to the mail or webhook.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: then `setup_tracing` installs no SDK provider, every
helper here checks one module flag first and does nothing, and the OpenTelemetry API stays its no-op.
On: a `TracerProvider` per process (`service.name` = the service) with a `BatchSpanProcessor` and the
OTLP/HTTP exporter, which reads the endpoint and the `OTEL_*` tuning variables itself.

How the context travels (W3C Trace Context):
- HTTP: FastAPI's own OpenTelemetry layer (shared/service/app.py) opens the server span of each
  request, named `<METHOD> <route template>`, with an incoming `traceparent` header as its parent.
- Outbox: an event staged while a span is current carries its context as the CloudEvents
  distributed-tracing extension attributes `traceparent` (and `tracestate`) (shared/outbox.py), so it
  travels in the stored envelope and reaches every consumer and webhook receiver unchanged.
- Relay: a short producer span ("publish"), child of the event's `traceparent`, whose own context
  goes on the NATS message as the header `traceparent` (the hop; the extension stays the origin).
- Consumer: a consumer span per message, child of the header's context (else the extension's); the
  events and deliveries its handler stages carry the consumer span on.
- Mail and webhook: delivery rows keep the `traceparent` of the consumer span that staged them, and
  the sender's span is its child.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("hallobot.tracing")

TRACEPARENT, TRACESTATE = "traceparent", "tracestate"
_PROPAGATOR = TraceContextTextMapPropagator()
_NOTHING = nullcontext()


class _State:
    enabled = False
    tracer: Tracer = trace.NoOpTracer()
    provider: Any = None


# A consumer batch's spans, message id → the carrier of its consumer span: a batch handler stages
# the deliveries of several messages at once, and each should carry its own message's span on.
_batch_carriers: ContextVar[Mapping[str, dict[str, str]] | None] = ContextVar("hallobot_trace_batch", default=None)


def enabled() -> bool:
    return _State.enabled


def setup_tracing(service: str, endpoint: str | None) -> bool:
    """Once per process: the SDK and the OTLP exporter when `endpoint` (the setting
    OTEL_EXPORTER_OTLP_ENDPOINT, a base URL) is set, else nothing at all. Returns whether traces are
    recorded. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, when set, wins (the SDK's own rule)."""
    if _State.enabled or not endpoint:
        return _State.enabled
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = _sdk_provider(service)
    traces = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or f"{endpoint.rstrip('/')}/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces)))
    install(provider)
    log.info("traces go to %s", traces)
    return True


def _sdk_provider(service: str) -> Any:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    return TracerProvider(resource=Resource.create({SERVICE_NAME: f"hallobot-{service}"}))


def install(provider: Any) -> None:
    """Record spans with `provider` (setup_tracing's, or a test's with an in-memory exporter)."""
    trace.set_tracer_provider(provider)
    _State.provider, _State.tracer, _State.enabled = provider, provider.get_tracer("hallobot"), True


def shutdown() -> None:
    """Flush what the batch processor holds (at the service's stop)."""
    if _State.provider is not None and hasattr(_State.provider, "force_flush"):
        _State.provider.force_flush(3000)


def tracer() -> Tracer:
    return _State.tracer


def carrier(context: Context | None = None) -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span (or of `context`); empty when none."""
    found: dict[str, str] = {}
    if _State.enabled:
        _PROPAGATOR.inject(found, context=context)
    return found


def carrier_for(message_id: str) -> dict[str, str]:
    """The context a delivery staged for the message `message_id` carries on: the consumer span of
    that message in a batch, else the current span."""
    batch = _batch_carriers.get()
    if batch is not None and message_id in batch:
        return batch[message_id]
    return carrier()


def parent(*carriers: Mapping[str, Any] | None) -> Context | None:
    """The context of the first carrier that holds a valid `traceparent` (None: a new trace)."""
    for found in carriers:
        if found and isinstance(found.get(TRACEPARENT), str):
            context = _PROPAGATOR.extract({k: v for k, v in found.items() if k in (TRACEPARENT, TRACESTATE)})
            if trace.get_current_span(context).get_span_context().is_valid:
                return context
    return None


def traceparent_in(payload: bytes) -> dict[str, str]:
    """The `traceparent` extension of a stored envelope, found without parsing the JSON (the relay's
    hot path): the 55 characters after the key."""
    at = payload.find(b'"traceparent":"')
    if at < 0:
        return {}
    start = at + len(b'"traceparent":"')
    return {TRACEPARENT: payload[start : start + 55].decode("ascii", "replace")}


def span(
    name: str,
    context: Context | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """A current span (a context manager), child of `context` or of the current span; nothing when off."""
    if not _State.enabled:
        return _NOTHING
    return _State.tracer.start_as_current_span(name, context=context, kind=kind, attributes=attributes)


def child_of_traceparent(
    name: str, traceparent: str | None, kind: SpanKind, attributes: Mapping[str, Any] | None = None
) -> Any:
    """A span whose parent is a stored `traceparent` (a delivery row's); nothing when off."""
    if not _State.enabled:
        return _NOTHING
    context = parent({TRACEPARENT: traceparent} if traceparent else None)
    return _State.tracer.start_as_current_span(name, context=context, kind=kind, attributes=attributes)


@contextmanager
def consumer_spans(consumer: str, messages: Sequence[tuple[Mapping[str, str] | None, Any]]) -> Iterator[None]:
    """One consumer span per message of a batch handled together (each the child of its message's
    context); what the batch handler stages for a message carries that message's span on
    (`carrier_for`). `messages`: (NATS headers, Delivery)."""
    spans: list[Span] = []
    carriers: dict[str, dict[str, str]] = {}
    for headers, delivery in messages:
        one = _State.tracer.start_span(
            f"{consumer} process", context=message_parent(headers, delivery), kind=SpanKind.CONSUMER
        )
        one.set_attributes(_consumer_attributes(consumer, delivery))
        spans.append(one)
        carriers[delivery.message_id] = carrier(trace.set_span_in_context(one))
    token = _batch_carriers.set(carriers)
    try:
        yield
    except BaseException as exc:
        for one in spans:
            one.record_exception(exc)
            one.set_status(trace.Status(trace.StatusCode.ERROR, repr(exc)[:200]))
        raise
    finally:
        _batch_carriers.reset(token)
        for one in spans:
            one.end()


def consumer_span(consumer: str, headers: Mapping[str, str] | None, delivery: Any) -> Any:
    """The current span of one message's handler, child of the message's context."""
    return _State.tracer.start_as_current_span(
        f"{consumer} process",
        context=message_parent(headers, delivery),
        kind=SpanKind.CONSUMER,
        attributes=_consumer_attributes(consumer, delivery),
    )


def message_parent(headers: Mapping[str, str] | None, delivery: Any) -> Context | None:
    """The relay's hop (the NATS header `traceparent`), else the event's own extension."""
    event = getattr(delivery, "event", None)
    return parent(headers, event.model_extra if event is not None else None)


def _consumer_attributes(consumer: str, delivery: Any) -> dict[str, str]:
    return {
        "messaging.system": "nats",
        "messaging.destination.name": delivery.subject,
        "messaging.consumer.group.name": consumer,
        "messaging.message.id": delivery.message_id,
    }


@contextmanager
def publish_span(subject: str, event_id: str, payload: bytes, headers: dict[str, str]) -> Iterator[None]:
    """The relay's producer span for one outbox row, child of the event's `traceparent`; its own
    context is added to `headers` (the NATS message's), so the consumer's span is its child."""
    with _State.tracer.start_as_current_span(
        "publish",
        context=parent(traceparent_in(payload)),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "nats",
            "messaging.operation.type": "publish",
            "messaging.destination.name": subject,
            "messaging.message.id": event_id,
        },
    ):
        headers.update(carrier())
        yield
