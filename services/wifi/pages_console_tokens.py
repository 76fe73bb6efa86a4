"""Host credentials from the console: register a new site (`/verwaltung/wlan/neu`) and renew a site's
host credential (`/verwaltung/wlan/<id>/zugang`, a confirmation step first: the old one stops at once).

The new credential is shown once, in the answer to the POST itself (200, not the usual 303: a redirect
would need it stored somewhere to show it after), with `Cache-Control: no-store`; it is stored only as
its SHA-256 digest (handlers.py) and never logged or put into a URL."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.wifi import handlers, queries
from services.wifi.api import SettingsDep
from services.wifi.config import WifiSettings
from services.wifi.pages import pages
from services.wifi.pages_console_forms import PATH, HotspotForm, render, site_or_404
from services.wifi.store import SqlWifiStore
from shared.envelope import utcnow
from shared.service import ReadingDep, RuntimeDep
from shared.web import chosen_language, read_form, validate

router = APIRouter()


def token_page(request: Request, settings: WifiSettings, hotspot: dict[str, Any], token: str, *, new: bool) -> Response:
    return render(
        request,
        "token.html",
        hotspot=hotspot,
        token=token,
        new=new,
        agent_url=settings.link("/api/wifi"),
    )


@router.get(PATH + "/neu", response_class=HTMLResponse)
async def register_form(request: Request) -> Response:
    return render(request, "register.html", form={"report_interval_s": "60"})


@router.post(PATH + "/neu")
async def register(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request, honeypot=False)  # behind the operator's credential: no bot reaches it
    data, errors = validate(HotspotForm, form, pages.gettext(chosen_language(request)))
    if data is None or errors:
        return render(request, "register.html", form=form, errors=errors, status_code=422)
    async with runtime.db.transaction() as session:
        hotspot_id, token = await handlers.create_hotspot(SqlWifiStore(session), data.model_dump(), utcnow())
        hotspot = await queries.get_hotspot(session, hotspot_id)
    return token_page(request, settings, hotspot, token, new=True)


@router.get(PATH + "/{hotspot_id}/zugang", response_class=HTMLResponse)
async def rotate_form(hotspot_id: str, request: Request, session: ReadingDep, settings: SettingsDep) -> Response:
    hotspot = await site_or_404(request, session, hotspot_id)
    silence_minutes = max(1, round(settings.heartbeat_timeout_s / 60))
    return render(request, "rotate.html", hotspot=hotspot, silence_minutes=silence_minutes)


@router.post(PATH + "/{hotspot_id}/zugang")
async def rotate(hotspot_id: str, request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    await read_form(request, honeypot=False)
    async with runtime.db.transaction() as session:
        hotspot = await site_or_404(request, session, hotspot_id)
        token = await handlers.rotate_token(SqlWifiStore(session), hotspot_id)
    return token_page(request, settings, hotspot, token, new=False)
