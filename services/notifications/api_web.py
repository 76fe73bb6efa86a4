"""HTTP routes of the web: the hotspot board, the public feed (SSE) and the live page's script and style
(the page itself: pages_live.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from services.notifications import queries
from services.notifications.feed import Broadcaster
from services.notifications.feed_stream import parse_position
from services.notifications.schemas import HotspotStatusPublic
from shared.errors import NotFound
from shared.service import ReadingDep

router = APIRouter(tags=["web"])
STATIC = Path(__file__).resolve().parent / "static"
# Script and style live in files of their own: the Content-Security-Policy allows no inline ones.
ASSETS = {"live.js": "text/javascript", "live.css": "text/css", "page.css": "text/css", "monitor.css": "text/css"}
BUSY_RETRY_AFTER_S = 10  # a full instance: try again after this long (or another instance)


def get_feed(request: Request) -> Broadcaster:
    feed: Broadcaster = request.app.state.feed
    return feed


FeedDep = Annotated[Broadcaster, Depends(get_feed)]


@router.get("/status/hotspots", response_model=list[HotspotStatusPublic], summary="Aktueller Zustand der WLAN-Hotspots")
async def hotspots(session: ReadingDep) -> list[HotspotStatusPublic]:
    return [HotspotStatusPublic(**row) for row in await queries.hotspots(session)]


class FeedResponse(EventSourceResponse):
    """The SSE response, counted against the instance's connection cap for exactly as long as it
    runs: the slot is taken when the response starts (503 with Retry-After if there is none) and
    given back however it ends (the client left, the service stops, the client was too slow)."""

    def __init__(self, broadcaster: Broadcaster, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.broadcaster = broadcaster

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.broadcaster.admit():
            busy = {"message": "the live feed is full here; try again later"}
            await JSONResponse(busy, status_code=503, headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})(
                scope, receive, send
            )
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.broadcaster.leave()


@router.get(
    "/feed",
    response_class=EventSourceResponse,
    response_model=None,
    summary="Öffentliche Ereignisse als Server-Sent Events; mit Last-Event-ID fortsetzbar",
    responses={
        200: {"content": {"text/event-stream": {}}},
        400: {"description": "Last-Event-ID is not a feed id (four stream sequences, e.g. 12-40-1002-3)"},
        503: {"description": "this instance holds its maximum of feed connections; see Retry-After"},
    },
)
async def feed(
    request: Request,
    broadcaster: FeedDep,
    last_event_id: str | None = Query(None, max_length=100, description="alternative to the Last-Event-ID header"),
    backlog: int = Query(
        0, ge=0, le=200, description="without Last-Event-ID: first up to this many of the latest events of each stream"
    ),
) -> EventSourceResponse | JSONResponse:
    resume = request.headers.get("last-event-id") or last_event_id
    try:
        wanted = parse_position(resume)
    except ValueError as exc:
        return JSONResponse({"message": str(exc), "field": "Last-Event-ID"}, status_code=400)
    # Frames come encoded (the live ones once for all clients of this instance): see feed.py.
    return FeedResponse(
        broadcaster,
        broadcaster.follow(wanted, backlog),
        ping=15,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"no file {name}", field="name")
    return Response(
        (STATIC / name).read_bytes(),
        media_type=f"{media_type}; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )
