"""What wraps every answer of a service, outside FastAPI's own error handling, so that a 500 gets it
too: the security headers (`SecurityHeaders`) and the HTTP metrics (`RequestMetrics`).

One plain ASGI layer (`ServiceMiddleware`) applies both: no per-request task or body copy, and one
wrapped `send` per message (an SSE frame to thousands of clients passes it once, not once per concern).
"""

from __future__ import annotations

from collections.abc import Iterable
from time import perf_counter
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import HTTP_REQUESTS, HTTP_SECONDS

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


class ServiceMiddleware:
    """Adds the security headers to every HTTP answer and records it in the metrics. A request whose
    handler raised counts as 5xx, also when the error came after the status line (a broken stream)."""

    def __init__(self, app: ASGIApp, *, headers: SecurityHeaders, metrics: RequestMetrics) -> None:
        self.app, self.headers, self.metrics = app, headers, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers.for_path(scope["path"])
        started = perf_counter()
        status = 0

        async def send_answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": self.headers.added(message.get("headers", ()), extra)}
            await send(message)

        try:
            await self.app(scope, receive, send_answer)
        except Exception:
            status = 500
            raise
        finally:
            self.metrics.observe(scope, status or 500, perf_counter() - started)
