"""HTTP routes of the web: the hotspot board, the public feed (SSE) and the live page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sse_starlette import EventSourceResponse

from services.notifications import queries
from services.notifications.feed import Broadcaster
from services.notifications.schemas import HotspotStatusPublic
from shared.service import ReadingDep

router = APIRouter(tags=["web"])
PAGE = Path(__file__).resolve().parent / "static" / "index.html"


def get_feed(request: Request) -> Broadcaster:
    feed: Broadcaster = request.app.state.feed
    return feed


FeedDep = Annotated[Broadcaster, Depends(get_feed)]


@router.get("/status/hotspots", response_model=list[HotspotStatusPublic], summary="Aktueller Zustand der WLAN-Hotspots")
async def hotspots(session: ReadingDep) -> list[HotspotStatusPublic]:
    return [HotspotStatusPublic(**row) for row in await queries.hotspots(session)]


@router.get(
    "/feed",
    response_class=EventSourceResponse,
    summary="Öffentliche Ereignisse als Server-Sent Events; mit Last-Event-ID fortsetzbar",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def feed(
    request: Request,
    broadcaster: FeedDep,
    last_event_id: str | None = Query(None, max_length=100, description="alternative to the Last-Event-ID header"),
    backlog: int = Query(
        0, ge=0, le=200, description="without Last-Event-ID: first up to this many of the latest events of each stream"
    ),
) -> EventSourceResponse:
    resume = request.headers.get("last-event-id") or last_event_id
    # Frames come encoded (the live ones once for all clients of this instance): see feed.py.
    return EventSourceResponse(
        broadcaster.follow(resume, backlog),
        ping=15,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/", response_class=HTMLResponse, summary="Live-Seite (deutsch)")
async def live_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
