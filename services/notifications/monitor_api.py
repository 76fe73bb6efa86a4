"""HTTP routes of the impact monitor for operators: its state, and the rebuild from the streams."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from services.notifications import monitor_queries
from services.notifications.monitor_rebuild import pending, rebuild
from shared.auth import OperatorDep
from shared.service import ReadingDep, RuntimeDep

router = APIRouter(tags=["operators"])


class MonitorState(BaseModel):
    generation: int
    rebuilt_at: datetime | None
    pending: int  # messages of the streams the projection has yet to take in


@router.get("/monitor", response_model=MonitorState, summary="Stand der Wirkungszahlen (Operator)")
async def monitor_state(_: OperatorDep, session: ReadingDep, runtime: RuntimeDep) -> MonitorState:
    state = await monitor_queries.projection_state(session)
    left = await pending(runtime.jetstream())
    return MonitorState(generation=state["generation"], rebuilt_at=state["rebuilt_at"], pending=left)


@router.post(
    "/monitor/rebuild",
    response_model=MonitorState,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Wirkungszahlen und Protokoll aus den Ereignisströmen neu aufbauen (Operator)",
)
async def monitor_rebuild(_: OperatorDep, request: Request, runtime: RuntimeDep) -> MonitorState:
    """Empties the projection and reads every public stream again from its start; the figures grow
    back while `pending` falls to 0."""
    generation = await rebuild(runtime.db, runtime.jetstream)
    request.app.state.projector.poke()
    left = await pending(runtime.jetstream())
    async with runtime.db.reading() as session:
        state = await monitor_queries.projection_state(session)
    return MonitorState(generation=generation, rebuilt_at=state["rebuilt_at"], pending=left)
