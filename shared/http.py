"""The one place where errors become HTTP answers: domain errors by their kind, FastAPI's validation
errors and HTTP exceptions, all as JSON with a `message` (and the `field` at fault where known)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
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
        400: "the body could not be parsed",
        401: "no or an invalid credential",
        403: "a valid credential, but not for this resource",
        404: "not found",
        409: "conflicts with the current state",
    }.items()
}


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
    return JSONResponse(body, status_code=status_of(error), headers=headers or None)


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Same shape as the domain errors; `detail` stays for clients of FastAPI's default.
        body = {"message": str(exc.detail), "detail": exc.detail}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Keep FastAPI's documented `detail` list (the OpenAPI schema says so) and add a sentence.
        errors = jsonable_encoder(exc.errors())
        summary = "; ".join(f"{_field_of(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors[:5])
        return JSONResponse({"detail": errors, "message": f"invalid input: {summary}"}, status_code=422)
