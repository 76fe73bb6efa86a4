"""Structured JSON logs on stdout, one object per line.

Every line written while a request is answered carries its `request_id` (the `X-Request-ID` of the
answer, set by shared/service/middleware.py), and every line written inside an OpenTelemetry span its
`trace_id` and `span_id`, so that an access line, the lines of its route and its trace meet."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

# The id of the request being answered (None outside a request); set and reset by ServiceMiddleware.
REQUEST_ID: ContextVar[str | None] = ContextVar("hallobot_request_id", default=None)


def current_trace_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the active OpenTelemetry span, None without one."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class RequestContext(logging.Filter):
    """Adds `request_id` and `trace_id`/`span_id` to a record when there are any (a record that
    already carries them, such as the access line, keeps its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        if not hasattr(record, "trace_id") and (ids := current_trace_ids()) is not None:
            record.trace_id, record.span_id = ids
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    # On the handler, not a logger: a logger's filter sees only the records logged on it, the
    # handler's every record that reaches it (propagated from any logger).
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Per-request access lines and per-message framework lines drown the signal at our volumes
    # (uvicorn's access line has the query string and no request id; ours is `hallobot.access`).
    for noisy in ("uvicorn.access", "faststream", "nats"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
