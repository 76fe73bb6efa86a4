"""The live page (/live): the six WLAN sites as they are now, rendered into the page (it works
without JavaScript), then kept live by live.js from the public feed, whose events carry their
sentence in both languages (feed_stream.public_data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.notifications import queries
from services.notifications.pages import pages
from services.notifications.sentences import STATUS, UNKNOWN_STATUS
from shared.service import ReadingDep

router = APIRouter()


@router.get("/live")
async def live(request: Request, session: ReadingDep) -> HTMLResponse:
    sites = [
        {**row, "named": row["site_name"] != row["hotspot_id"]}  # a status heard before the registration
        for row in await queries.hotspots(session)
    ]
    return pages.render(request, "live.html", sites=sites, status_texts=STATUS, unknown=UNKNOWN_STATUS)
