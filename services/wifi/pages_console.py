"""The office's WLAN console (`/verwaltung/wlan…`): the six sites with their state, incidents and coming
maintenance; one site's history, reports and availability; planning and cancelling maintenance;
registering a site and renewing a host's credential. The pages call the same use cases (handlers.py)
and reads (queries.py) as the JSON API, never HTTP.

Who may: `console_operator` below is the one guard of every console page (a router dependency). Until
the console's sessions exist it takes the operator's bearer token, as the API does; the console's
session check (area "wifi") replaces this one function."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.wifi import pages_console_maintenance, pages_console_sites, pages_console_tokens
from shared.auth import TokenDep, is_operator
from shared.errors import Unauthenticated


async def console_operator(request: Request, token: TokenDep) -> None:
    """An operator with the area "wifi", or 401. (Async: the console's actor is set in the request's own
    context, which a dependency run in a thread would not reach.)"""
    if not is_operator(request, token):
        raise Unauthenticated("operator token required")


router = APIRouter(dependencies=[Depends(console_operator)])
# The fixed paths (`/verwaltung/wlan/neu`) before the site's own (`/verwaltung/wlan/{hotspot_id}`).
router.include_router(pages_console_tokens.router)
router.include_router(pages_console_maintenance.router)
router.include_router(pages_console_sites.router)
