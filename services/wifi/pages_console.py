"""The office's WLAN console (`/verwaltung/wlan…`): the six sites with their state, incidents and coming
maintenance; one site's history, reports and availability; planning and cancelling maintenance;
registering and renaming a site and renewing a host's credential. The pages call the same use cases (handlers.py)
and reads (queries.py) as the JSON API, never HTTP.

Who may: one guard on the router for every console page, the console session of a role with the area
"wifi" (shared/console/pages.py); without one a browser goes to the login page."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.wifi import (
    pages_console_duty,
    pages_console_maintenance,
    pages_console_name,
    pages_console_sites,
    pages_console_tokens,
)
from shared.console.pages import console_operator

router = APIRouter(dependencies=[Depends(console_operator("wifi"))])
# The fixed paths (`/verwaltung/wlan/neu`) before the site's own (`/verwaltung/wlan/{hotspot_id}`).
router.include_router(pages_console_tokens.router)
router.include_router(pages_console_duty.router)  # `/verwaltung/wlan/pflicht…` before a site's id
router.include_router(pages_console_maintenance.router)
router.include_router(pages_console_name.router)
router.include_router(pages_console_sites.router)
