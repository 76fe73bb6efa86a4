"""Errors a use case raises on purpose; the HTTP layer turns them into clear JSON 4xx answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from pydantic import BaseModel
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorBody(BaseModel):
    """What every 4xx answer carries besides FastAPI's validation `detail`."""

    message: str
    field: str | None = None


# Documented on every operation: the codes the shared auth and error handling can answer with,
# so that the OpenAPI document covers what a client may see (a fuzzer checks this).
ERROR_RESPONSES: dict[int | str, dict] = {
    # Inline JSON content, not `model`: on an HTML route `model` would be documented as text/html.
    code: {"description": text, "content": {"application/json": {"schema": ErrorBody.model_json_schema()}}}
    for code, text in {
        400: "the body could not be parsed", 401: "no or an invalid credential", 403: "a valid credential, but not for this resource",
        404: "not found", 409: "conflicts with the current state",
    }.items()
}


class DomainError(Exception):
    """A rule said no. `status` is the HTTP answer; `field` names the input at fault, if any."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


def _field_of(location: tuple) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        body = {"message": exc.message} | ({"field": exc.field} if exc.field else {})
        return JSONResponse(body, status_code=exc.status)

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
