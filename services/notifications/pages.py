"""The pages of the notifications service (shared/web/): the start page, Impressum and Datenschutz.
The live page: pages_live.py; subscribing and the links from the mails: pages_subscribe.py and
pages_links.py. Every page is in the shared layout, German first, English on ?lang=en."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shared.web.pages import Pages

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "pages"
LOCALE = HERE / "locale"
pages = Pages(TEMPLATES, LOCALE)
router = APIRouter()


@router.get("/")
async def start(request: Request) -> HTMLResponse:
    return pages.render(request, "start.html")


@router.get("/impressum")
async def imprint(request: Request) -> HTMLResponse:
    return pages.render(request, "impressum.html")


@router.get("/datenschutz")
async def privacy(request: Request) -> HTMLResponse:
    return pages.render(request, "datenschutz.html")
