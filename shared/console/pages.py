"""What every service's console pages share: the session dependency (login redirect, 403 page), and
each service's area page under /verwaltung/<area> (where its console pages begin).

`console_operator()` is the dependency of a console page: no valid session → 303 to
/verwaltung/anmelden?weiter=<path>; a role without the area → 403 as a page. It sets the actor
(shared/console/actor.py) like the API's bearer check does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shared.console import access
from shared.console.actor import set_actor
from shared.console.roles import SERVICE_AREAS, Operator
from shared.web.i18n import N_
from shared.web.pages import Pages

HERE = Path(__file__).resolve().parent
pages = Pages(HERE / "templates", HERE / "locale")

# The console's paths per area, as the front door routes them (deploy/Caddyfile).
AREA_PATHS: dict[str, str] = {
    "directory": "/verwaltung/verzeichnis",
    "events": "/verwaltung/veranstaltungen",
    "wifi": "/verwaltung/wlan",
    "deliveries": "/verwaltung/zustellungen",
    "monitor": "/verwaltung/wirkung",
    "audit": "/verwaltung/protokoll",
    "privacy": "/verwaltung/datenschutz",
    "accounts": "/verwaltung/konten",
}
AREA_NAMES: dict[str, str] = {
    "directory": N_("Verzeichnis und Fairtrade"),
    "events": N_("Veranstaltungen"),
    "wifi": N_("WLAN-Hotspots"),
    "deliveries": N_("Zustellungen"),
    "monitor": N_("Wirkung"),
    "audit": N_("Protokoll"),
    "privacy": N_("Datenschutz"),
    "accounts": N_("Konten"),
}
ROLE_NAMES: dict[str, str] = {
    "admin": N_("Verwaltung aller Bereiche und Konten"),
    "office": N_("Büro"),
    "events": N_("Veranstaltungen"),
    "wifi": N_("WLAN"),
}


class AreaRefused(Exception):
    """A signed-in operator whose role may not use this area: a 403 page."""


def console_operator(area: str | None = None, *, any_area: bool = False) -> Callable[[Request], Awaitable[Operator]]:
    """A console page's dependency: the signed-in operator with `area` (default: the service's;
    `any_area`: every role, e.g. the console's start page and one's own API tokens)."""

    async def signed_in(request: Request) -> Operator:
        operator = await access.operator_of_session(request)
        if operator is None:
            query = f"?{request.url.query}" if request.url.query else ""
            raise access.LoginRequired(request.url.path + query)
        request.state.operator = operator
        set_actor(operator.account_id)
        if not any_area and not operator.may(area or access.service_area(request)):
            raise AreaRefused
        return operator

    return signed_in


def install_console(app: FastAPI) -> None:
    """The console's answers on every service: the login redirect, the refusal page, the area page."""

    @app.exception_handler(access.LoginRequired)
    async def to_login(request: Request, exc: access.LoginRequired) -> Response:
        return RedirectResponse(access.login_url(exc.next_path), status_code=303)

    @app.exception_handler(AreaRefused)
    async def refused(request: Request, exc: AreaRefused) -> Response:
        return pages.render(request, "console/refused.html", status_code=403)

    area = SERVICE_AREAS.get(app.state.definition.name)
    if area and area != "deliveries":  # notifications has the console's start page itself
        app.include_router(area_router(area), include_in_schema=False)


def area_router(area: str) -> APIRouter:
    """The area's first page; a service's own route of the same path, added before, wins."""
    router = APIRouter()

    @router.get(AREA_PATHS[area], dependencies=[Depends(console_operator(area))])
    async def area_page(request: Request) -> HTMLResponse:
        return pages.render(request, "console/area.html", area_name=pages.text(request, AREA_NAMES[area]))

    return router


def role_name(request: Request, role: str) -> str:
    return pages.text(request, ROLE_NAMES.get(role, role))
