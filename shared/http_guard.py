"""The guard at the root of every service (installed by `build_app`), a plain ASGI middleware that
costs a few microseconds per request:

- a body-size limit: a `Content-Length` over it is a 413 at once, before anything is read; a
  body without a length (chunked) is counted while it is read and refused the moment it passes it;
- NUL and control characters in the path or the query string (after percent-decoding) are a 400
  that names the parameter: no text with a NUL reaches a route or a database (PostgreSQL cannot
  store one);
- the last resort: an exception that escaped every handler is logged once, with its traceback,
  and answered as JSON (`shared.http.internal_error_response`), never as a plain-text 500.

JSON bodies are parsed once, by FastAPI; NaN, Infinity, numbers that overflow to infinity and lone
surrogates are refused by the model types (`shared/inputs.py`), and the validation handler in
`shared/http.py` names them without echoing them. (Starlette's own `RequestBodyLimitMiddleware`
answers in plain text and lets the route run first when the length is already known.)
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http import ERROR_RESPONSES, internal_error_response, routes_of, safe_json_response

log = logging.getLogger("hallobot.http")

DEFAULT_MAX_BODY_BYTES = 1_048_576
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# In a raw query string: a raw control byte, a percent-encoded C0 control or DEL, or a C1 control
# (U+0080–U+009F, UTF-8 C2 80–C2 9F). A match is checked again after decoding, to name the parameter.
_RAW_QUERY_SUSPECT = re.compile(rb"[\x00-\x1f\x7f]|%[01][0-9a-fA-F]|%7[fF]|%[cC]2%[89][0-9a-fA-F]")


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without a length grows past the limit; FastAPI passes HTTP
    exceptions through its body parsing, and shared/http.py answers it as JSON."""

    field = "body"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class HttpGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        refusal = self._refusal(scope, length)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if length is None:
            receive = self._counting(receive)
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await internal_error_response()(scope, receive, send)

    def _refusal(self, scope: Scope, length: int | None) -> Any:
        if length is not None and length > self.max_body_bytes:
            message = f"the request body is larger than {self.max_body_bytes} bytes"
            return safe_json_response({"message": message, "field": "body"}, 413)
        if _CONTROL.search(scope["path"]):
            field = _path_parameter(scope)
            message = f"control characters (NUL included) are not allowed in the path parameter {field!r}"
            return safe_json_response({"message": message, "field": field}, 400)
        query: bytes = scope.get("query_string", b"")
        if query and _RAW_QUERY_SUSPECT.search(query):
            for name, value in parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True):
                if _CONTROL.search(name) or _CONTROL.search(value):
                    field = name if not _CONTROL.search(name) else "query"
                    message = f"control characters (NUL included) are not allowed in the query parameter {field!r}"
                    return safe_json_response({"message": message, "field": field}, 400)
        return None

    def _counting(self, receive: Receive) -> Receive:
        limit, total = self.max_body_bytes, 0

        async def counted() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > limit:
                    raise BodyTooLarge(limit)
            return message

        return counted


def _content_length(scope: Scope) -> int | None:
    """None without the header; the server (h11) has refused a malformed one already."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _path_parameter(scope: Scope) -> str:
    """The name of the path parameter that holds the control character (this runs only on refusal)."""
    path: str = scope["path"]
    for prefix, route in routes_of(scope.get("app")):
        if path.startswith(prefix):
            match = route.path_regex.match(path[len(prefix) :])
            for name, value in (match.groupdict() if match else {}).items():
                if _CONTROL.search(value):
                    return str(name)
    return "path"


def install_guard(app: FastAPI, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
    """Outermost of the application's own middleware: it sees every request first. Its answers (400,
    413) are documented on every operation of the OpenAPI document."""
    app.add_middleware(HttpGuard, max_body_bytes=max_body_bytes)
    build = app.openapi

    def documented() -> dict[str, Any]:
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                for code in ("400", "413"):
                    responses.setdefault(code, ERROR_RESPONSES[int(code)])
        return schema

    app.openapi = documented  # type: ignore[method-assign]
