"""The one place where errors become HTTP answers: domain errors by their kind, FastAPI's validation
errors and HTTP exceptions, all as JSON with a `message` (and the `field` at fault where known).

An error answer can never fail: it never echoes what cannot be encoded (NaN, Infinity, a lone
surrogate, an object), and `safe_json_response` falls back to a cleaned copy if encoding still
fails. The last resort for anything else is `shared/http_guard.py` with `internal_error_response`."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import TimeoutError as DatabasePoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooManyRequests, Unauthenticated

STATUS_OF: dict[type[DomainError], int] = {
    Invalid: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    TooManyRequests: 429,
}

log = logging.getLogger("hallobot.http")
BUSY_RETRY_AFTER_S = 5  # a 503 for a busy database: when to send the request again


class ErrorBody(BaseModel):
    """What every 4xx answer carries besides FastAPI's validation `detail`."""

    message: str
    field: str | None = None


# Documented on every operation: the codes the shared auth and error handling can answer with,
# so that the OpenAPI document covers what a client may see (a fuzzer checks this).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    # Inline JSON content, not `model`: on an HTML route `model` would be documented as text/html.
    code: {"description": text, "content": {"application/json": {"schema": ErrorBody.model_json_schema()}}}
    for code, text in {
        400: "the body could not be parsed, or a control character in the path or query",
        401: "no or an invalid credential",
        403: "a valid credential, but not for this resource",
        404: "not found",
        409: "conflicts with the current state",
        413: "the request body is larger than the limit",
    }.items()
}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _printable(text: str) -> str:
    """A string that encodes as UTF-8 (a lone surrogate becomes U+FFFD)."""
    return _SURROGATE.sub("\ufffd", text)


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy of `value` that JSON can always encode: non-finite numbers become their name as text,
    strings lose lone surrogates, anything else becomes its type's name (never its repr)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _printable(value)
    if depth < 4 and isinstance(value, dict):
        return {_printable(str(k)): json_safe(v, depth + 1) for k, v in list(value.items())[:50]}
    if depth < 4 and isinstance(value, list | tuple):
        return [json_safe(item, depth + 1) for item in list(value)[:50]]
    return f"<{type(value).__name__}>"


class SafeJSONResponse(JSONResponse):
    """JSON that renders whatever it is given: on a value JSON cannot carry it renders a cleaned copy."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (TypeError, ValueError, UnicodeEncodeError):
            return super().render(json_safe(content))


def safe_json_response(body: dict[str, Any], status_code: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return SafeJSONResponse(body, status_code=status_code, headers=headers)


def internal_error_response() -> JSONResponse:
    """What a request gets when the service itself failed: JSON, a short sentence, nothing internal."""
    return SafeJSONResponse({"message": "internal error; it has been logged"}, status_code=500)


def routes_of_list(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route with its path pattern, also inside included routers (FastAPI keeps them apart)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context_prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from routes_of_list(inner.routes, prefix + context_prefix)
        elif hasattr(route, "path_regex"):
            yield prefix, route


def routes_of(app: Any) -> Iterator[tuple[str, Any]]:
    return routes_of_list(getattr(getattr(app, "router", None), "routes", ()))


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route serves at `path` (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for prefix, route in routes_of(app):
        if path.startswith(prefix) and route.path_regex.match(path[len(prefix) :]):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def status_of(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 422


def domain_error_response(error: DomainError) -> JSONResponse:
    body = {"message": error.message} | ({"field": error.field} if error.field else {})
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after_s)))
    return SafeJSONResponse(body, status_code=status_of(error), headers=headers or None)


def _field_of(error: dict[str, Any]) -> str:
    """`latitude`, `filters.series`, `offset`; `body` for a body that is missing or not JSON."""
    location = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid" or location in ((), ("body",)):
        return "body" if not location or location[0] == "body" else "request"
    parts = [_printable(str(part)) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _validation_detail(error: dict[str, Any]) -> dict[str, Any]:
    """One entry of FastAPI's `detail` list, as documented (`loc`, `msg`, `type`), and the input
    only where it is a short plain value: never what cannot be encoded, never a whole body."""
    item: dict[str, Any] = {
        "type": _printable(str(error.get("type", "invalid"))),
        "loc": [part if isinstance(part, int) else _printable(str(part)) for part in error.get("loc", ())],
        "msg": _printable(str(error.get("msg", "invalid"))),
    }
    value = error.get("input")
    if isinstance(value, float) and not math.isfinite(value):
        item["input"] = str(value)  # "nan", "inf": named, not echoed as a number JSON cannot carry
    elif isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 200):
        item["input"] = json_safe(value)
    context = error.get("ctx")
    if isinstance(context, dict):
        item["ctx"] = {
            _printable(str(k)): json_safe(v) if isinstance(v, str | int | float | bool | None) else _printable(str(v))
            for k, v in context.items()
        }
    return item


def _as_page(request: Request, response: Response, message: str | None) -> Response:
    """The same answer as a page when a browser asked for one (shared/web/errors.py)."""
    from shared.web.errors import error_page, wants_html

    if not wants_html(request):
        return response
    headers = {
        name: value for name, value in response.headers.items() if name in ("retry-after", "allow", "www-authenticate")
    }
    return error_page(request, response.status_code, message, headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return _as_page(request, domain_error_response(exc), exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # Same shape as the domain errors; `detail` stays for clients of FastAPI's default.
        body: dict[str, Any] = {"message": str(exc.detail), "detail": exc.detail}
        field = getattr(exc, "field", None)  # e.g. "body" for the guard's size limit
        if field:
            body["field"] = field
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path)) or headers.get("Allow", "")
        answer = SafeJSONResponse(body, status_code=exc.status_code, headers=headers or None)
        return _as_page(request, answer, None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        # Keep FastAPI's documented `detail` list (the OpenAPI schema says so) and add a sentence
        # naming the fields; the first field at fault also goes into `field`, as with domain errors.
        errors = [_validation_detail(e) for e in exc.errors()[:20]]
        fields = [_field_of(e) for e in errors]
        summary = "; ".join(f"{field}: {e['msg']}" for field, e in zip(fields[:5], errors, strict=False))
        body = {"detail": errors, "message": f"invalid input: {summary}", "field": fields[0] if fields else None}
        return _as_page(request, SafeJSONResponse(body, status_code=422), None)

    @app.exception_handler(DatabasePoolTimeout)
    async def _database_busy(request: Request, exc: DatabasePoolTimeout) -> Response:
        # Every pooled connection stayed busy for the pool's whole timeout (a rush queued behind one
        # row lock, or a database that is too slow): the request got no connection, so it changed
        # nothing and may be sent again. A 503 with Retry-After says so; a 500 would say we failed.
        log.warning("no database connection free within the pool timeout: %s %s", request.method, request.url.path)
        body = {"message": "the service is busy: nothing was saved; please send it again in a moment"}
        answer = SafeJSONResponse(body, status_code=503, headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
        return _as_page(request, answer, None)

    @app.exception_handler(Exception)
    async def _last_resort(_: Request, exc: Exception) -> JSONResponse:
        # Reached only by what escapes shared/http_guard.py (which logs it); Starlette logs it here.
        return internal_error_response()
