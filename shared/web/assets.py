"""GET /assets/<name>: the shared style sheet and images, served by every service (the front door
sends /assets/ to one of them; each answers alike), cached for a day."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from shared.errors import NotFound
from shared.web.i18n import N_

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".js": "text/javascript; charset=utf-8"}
FILES = {path.name: path for path in STATIC.iterdir() if path.suffix in TYPES}

router = APIRouter(include_in_schema=False)


@router.get("/assets/{name}")
async def asset(name: str) -> Response:
    path = FILES.get(name)
    if path is None:
        raise NotFound(N_("Diese Datei gibt es nicht."), field="name")
    return Response(
        path.read_bytes(), media_type=TYPES[path.suffix], headers={"cache-control": "public, max-age=86400"}
    )
