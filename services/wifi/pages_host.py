"""The host's page `/wlan/standort`: the host signs in with the host token their hotspot reports with
(host_session.py keeps the session) and sees their own site only: its state, what to do now when it is
down (power, restart, the line, whom to call at the office), its recent history (status changes and
incidents) and the last report. A wrong token gets a clear sentence; sign-ins count against
WIFI_HOST_LOGIN_LIMIT per client address (the shared rate limiter)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.wifi import domain, host_session, queries
from services.wifi.config import WifiSettings
from services.wifi.pages import pages
from shared.auth import hash_token
from shared.errors import TooManyRequests
from shared.ratelimit import check_client
from shared.service import ReadingDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()

PAGE = host_session.PATH  # /wlan/standort
PRIVATE = {"cache-control": "no-store"}
ALL_STATUSES = ("up", "degraded", "down", "maintenance")
HISTORY = 15
WRONG_TOKEN = N_(
    "Dieser Zugang passt zu keinem WLAN-Standort. Bitte prüfen Sie ihn: Er beginnt mit „hbh_“ und steht auch "
    "in der Einstellung Ihres Host-Agenten. Einen neuen Zugang gibt Ihnen das Amt."
)
TOO_MANY = N_(
    "Zu viele Anmeldeversuche von diesem Anschluss. Bitte warten Sie eine Weile und versuchen Sie es dann noch einmal."
)
OFFICE = N_("das Amt für Wirtschaftsförderung der Stadt Bottrop")


class HostSignIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(min_length=1, max_length=200)


def _settings(request: Request) -> WifiSettings:
    settings: WifiSettings = request.app.state.settings
    return settings


def _signin(request: Request, *, status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    # The token is never written back into the form (like a password).
    response = pages.render(request, "host_signin.html", status_code=status_code, form={}, errors=errors or {})
    response.headers.update(PRIVATE)
    return response


@router.get(PAGE)
async def host_page(request: Request, session: ReadingDep) -> Response:
    settings = _settings(request)
    found = host_session.hotspot_of(request, settings)
    if found is None or not host_session.still_valid(await queries.host_token_hash(session, found[0]), found[1]):
        return _signin(request)
    hotspot = await queries.get_hotspot(session, found[0])
    hotspot["reason_code"] = domain.reason_code(hotspot["status_reason"])
    response = pages.render(
        request,
        "host.html",
        hotspot=hotspot,
        history=await queries.status_history(session, hotspot["id"], ALL_STATUSES, limit=HISTORY),
        incidents=(await queries.incidents_of(session, hotspot["id"]))[:5],
        contact=settings.host_contact.strip() or pages.text(request, OFFICE),
        form={},
        errors={},
    )
    response.headers.update(PRIVATE)
    return response


@router.post(PAGE)
async def sign_in(request: Request, session: ReadingDep) -> Response:
    settings = _settings(request)
    form = await read_form(request)
    data, errors = validate(HostSignIn, form, pages.gettext(chosen_language(request)))
    if errors or data is None:
        return _signin(request, status_code=422, errors={"token": errors.get("token", "")})
    try:
        await check_client(request, settings.host_login_rate)
    except TooManyRequests as refused:
        response = _signin(request, status_code=429, errors={"token": pages.text(request, TOO_MANY)})
        response.headers["retry-after"] = str(max(1, round(refused.retry_after_s)))
        return response
    hotspot_id = await queries.hotspot_of_token(session, data.token)
    if hotspot_id is None:
        return _signin(request, status_code=401, errors={"token": pages.text(request, WRONG_TOKEN)})
    response = see_other(PAGE)
    host_session.start(response, settings, hotspot_id, hash_token(data.token))
    response.headers.update(PRIVATE)
    return response


@router.post(PAGE + "/abmelden")
async def sign_out(request: Request) -> Response:
    await read_form(request)
    response = see_other(PAGE)
    host_session.end(response, _settings(request))
    return response
