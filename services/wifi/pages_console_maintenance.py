"""Maintenance from the console: plan a window on a site's page (start, end, reason), or cancel one (a
window still to come is dropped, a running one ends now). Same use cases as the API (handlers.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.wifi import handlers
from services.wifi.api import SettingsDep
from services.wifi.pages import pages
from services.wifi.pages_console_forms import PATH, MaintenanceForm, local_instant, site_or_404
from services.wifi.pages_console_sites import site_page
from services.wifi.store import SqlWifiStore
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound
from shared.service import RuntimeDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()


@router.post(PATH + "/{hotspot_id}/wartung")
async def plan_maintenance(hotspot_id: str, request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request, honeypot=False)  # behind the operator's credential: no bot reaches it
    data, errors = validate(MaintenanceForm, form, pages.gettext(chosen_language(request)))
    if data is not None and local_instant(data.ends_at) <= local_instant(data.starts_at):
        errors["ends_at"] = pages.text(request, N_("Das Ende muss nach dem Beginn liegen."))
    if data is None or errors:
        async with runtime.db.reading() as session:
            return await site_page(request, session, hotspot_id, form=form, errors=errors, status_code=422)
    async with runtime.db.transaction() as session:
        await site_or_404(request, session, hotspot_id)
        starts_at, ends_at = local_instant(data.starts_at), local_instant(data.ends_at)
        store = SqlWifiStore(session)
        await handlers.add_maintenance(
            store, hotspot_id, starts_at, ends_at, data.note, now=utcnow(), settings=settings
        )
    return see_other(f"{PATH}/{hotspot_id}?geplant=1#wartung")


@router.post(PATH + "/{hotspot_id}/wartung/{window_id}/absagen")
async def cancel_maintenance(
    hotspot_id: str, window_id: str, request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> Response:
    await read_form(request, honeypot=False)
    async with runtime.db.transaction() as session:
        await site_or_404(request, session, hotspot_id)
        try:
            store = SqlWifiStore(session)
            await handlers.cancel_maintenance(store, hotspot_id, window_id, now=utcnow(), settings=settings)
        except NotFound as missing:
            raise NotFound(pages.text(request, N_("Diese Wartung gibt es nicht (mehr)."))) from missing
        except Conflict as over:
            raise Conflict(pages.text(request, N_("Diese Wartung ist schon vorbei."))) from over
    return see_other(f"{PATH}/{hotspot_id}?abgesagt=1#wartung")
