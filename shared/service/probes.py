"""What routes get from the running service (runtime, a transaction, a reading session) and the
operational endpoints every service serves on its public port: /healthz, /readyz (ready or not, no
details), /asyncapi.json. /metrics and the detailed readiness are on the internal port (internal.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.service.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def transaction(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.transaction() as session:
        yield session


async def reading(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.reading() as session:
        yield session


# scope="function": commit before the response is sent, so a 2xx means the change is durable.
TransactionDep = Annotated[AsyncSession, Depends(transaction, scope="function")]
ReadingDep = Annotated[AsyncSession, Depends(reading)]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]


def probes() -> APIRouter:
    """The operational routes (a new router per app: routers are not shared between apps)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: broker and database reachable (which one is not: on the internal port)",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "not ready"}},
    )
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready"}, 200 if ready else 503)

    @router.get("/asyncapi.json", summary="AsyncAPI 3.0 document of this service's events")
    async def asyncapi(runtime: RuntimeDep) -> dict[str, Any]:
        return runtime.definition.asyncapi()

    return router
