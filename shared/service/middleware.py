"""What wraps every answer of a service, outside FastAPI's own error handling, so that a 500 gets it
too: the security headers (`SecurityHeaders`), the HTTP metrics (`RequestMetrics`), the request id
and the access log (`AccessLog`).

One plain ASGI layer (`ServiceMiddleware`) applies them all: no per-request task or body copy, and one
wrapped `send` per message (an SSE frame to thousands of clients passes it once, not once per concern).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from time import perf_counter
from typing import Any

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.client_address import IPNetwork, client_address
from shared.logging import REQUEST_ID, current_trace_ids
from shared.metrics import HTTP_REQUESTS, HTTP_SECONDS

access_log = logging.getLogger("hallobot.access")
# An incoming X-Request-ID (the front door's, deploy/Caddyfile) is taken when it looks like an id;
# anything else (too long, odd characters) is replaced, so that a client cannot write into our logs.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,128}")
PROBES = frozenset({"/healthz", "/readyz"})  # asked every few seconds by the orchestrator: DEBUG

# Pages load only what their own origin serves: no inline script or style, no framing, no <base>.
PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# FastAPI's /docs and /redoc load Swagger UI and ReDoc from jsDelivr and start them with an inline
# script. They show the OpenAPI document only (no user content), so they alone get these sources.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
    ),
}
HSTS = "max-age=31536000; includeSubDomains"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class SecurityHeaders:
    """The security headers of an answer; a header the route set itself is kept."""

    def __init__(self, *, production: bool, docs_paths: Iterable[str] = ()) -> None:
        common = dict(COMMON) | ({"strict-transport-security": HSTS} if production else {})
        self.page = _encoded(common | {"content-security-policy": PAGE_POLICY})
        self.docs = _encoded(common | {"content-security-policy": DOCS_POLICY})
        self.docs_paths = tuple(path for path in docs_paths if path)

    def for_path(self, path: str) -> list[tuple[bytes, bytes]]:
        return self.docs if self.docs_paths and path.startswith(self.docs_paths) else self.page

    @staticmethod
    def added(headers: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        headers = list(headers)
        present = {name.lower() for name, _ in headers}
        headers.extend(header for header in extra if header[0] not in present)
        return headers


class RequestMetrics:
    """Counts answers by route template, method and status class and times them."""

    def __init__(self, *, service: str) -> None:
        self.service = service
        self._counters: dict[tuple[str, str, str], Any] = {}  # label children, looked up once each
        self._timers: dict[tuple[str, str], Any] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in METHODS else "other"
        key = (route, method, f"{status // 100}xx")
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = HTTP_REQUESTS.labels(self.service, *key)
        counter.inc()
        timer = self._timers.get(key[:2])
        if timer is None:
            timer = self._timers[key[:2]] = HTTP_SECONDS.labels(self.service, route, method)
        timer.observe(seconds)


class AccessLog:
    """The request id of a request, and its one JSON line on the logger `hallobot.access` when it is
    answered: method, path (never the query string: it may hold a token), route template, status,
    duration, the client as `shared/client_address.py` resolves it, the request id and, when a trace
    is active, its trace id. The probes' lines are DEBUG, every other INFO."""

    def __init__(self, *, proxies: Sequence[IPNetwork] = ()) -> None:
        self.proxies = tuple(proxies)

    @staticmethod
    def request_id(scope: Scope) -> str:
        """The incoming `X-Request-ID` if it looks like an id, else a new one (uuid4, hex)."""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                text: str = value.decode("latin-1")
                if REQUEST_ID_PATTERN.fullmatch(text):
                    return text
                break
        return uuid.uuid4().hex

    def client(self, scope: Scope) -> str:
        peer = scope.get("client")
        forwarded = b",".join(value for name, value in scope["headers"] if name == b"x-forwarded-for")
        host: str | None = peer[0] if peer else None
        return client_address(host, forwarded.decode("latin-1"), self.proxies)

    def write(
        self, scope: Scope, status: int, seconds: float, request_id: str, trace_ids: tuple[str, str] | None
    ) -> None:
        level = logging.DEBUG if scope["path"] in PROBES else logging.INFO
        if not access_log.isEnabledFor(level):
            return
        line: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "route": getattr(scope.get("route"), "path", None) or "unmatched",
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": self.client(scope),
            "request_id": request_id,
        }
        if trace_ids is not None:
            line["trace_id"], line["span_id"] = trace_ids
        access_log.log(level, "%s %s %s", scope["method"], scope["path"], status, extra=line)


class ServiceMiddleware:
    """Adds the security headers and `X-Request-ID` to every HTTP answer, records it in the metrics and
    writes its access line. A request whose handler raised counts as 5xx, also when the error came
    after the status line (a broken stream). While the request is answered its id is in
    `shared.logging.REQUEST_ID`, so every log line of it carries the id."""

    def __init__(
        self, app: ASGIApp, *, headers: SecurityHeaders, metrics: RequestMetrics, access: AccessLog | None = None
    ) -> None:
        self.app, self.headers, self.metrics = app, headers, metrics
        self.access = access or AccessLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.access.request_id(scope)
        extra = [*self.headers.for_path(scope["path"]), (b"x-request-id", request_id.encode("latin-1"))]
        started = perf_counter()
        status = 0
        trace_ids: tuple[str, str] | None = None
        token = REQUEST_ID.set(request_id)

        async def send_answer(message: Message) -> None:
            nonlocal status, trace_ids
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": self.headers.added(message.get("headers", ()), extra)}
                # Inside the app, where a span layer's span is active: the trace of this request.
                if (trace_ids := current_trace_ids()) is not None:
                    trace.get_current_span().set_attribute("http.request.header.x-request-id", (request_id,))
            await send(message)

        try:
            await self.app(scope, receive, send_answer)
        except Exception:
            status = 500
            raise
        finally:
            seconds = perf_counter() - started
            self.metrics.observe(scope, status or 500, seconds)
            self.access.write(scope, status or 500, seconds, request_id, trace_ids or current_trace_ids())
            REQUEST_ID.reset(token)
