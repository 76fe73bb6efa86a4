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

from shared.service.runtime import Runtime, is_ready


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


def liveness_answer(runtime: Runtime | None) -> JSONResponse:
    """/healthz on either port: 200 ok, or 503 naming what only a restart mends (`Runtime.liveness`)."""
    problem = runtime.liveness() if runtime is not None else None
    if problem is None:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": problem}, 503)


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]


def probes() -> APIRouter:
    """The operational routes (a new router per app: routers are not shared between apps)."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        summary="Liveness: the process is up and not stuck (503 only when a restart is what mends it)",
        responses={503: {"description": "restart this instance"}},
    )
    async def healthz(request: Request) -> JSONResponse:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        problem = runtime.liveness() if runtime is not None else None
        return JSONResponse(
            {"status": "ok"} if problem is None else {"status": problem}, 200 if problem is None else 503
        )

    @router.get(
        "/readyz",
        summary="Readiness: the database is reachable (a NATS outage leaves the instance ready; details on the "
        "internal port)",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "not ready"}},
    )
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        ready = is_ready(await runtime.readiness())
        return JSONResponse({"status": "ready" if ready else "not ready"}, 200 if ready else 503)

    @router.get("/asyncapi.json", summary="AsyncAPI 3.0 document of this service's events")
    async def asyncapi(runtime: RuntimeDep) -> dict[str, Any]:
        return runtime.definition.asyncapi()

    return router
