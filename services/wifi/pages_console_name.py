"""Renaming a site from the console (its page's form "Name des Standorts"): the same use case as the API's
PATCH (handlers.update_hotspot), which stages `wifi.hotspot.renamed`, so that mails and pages name the
site by its new name from then on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from services.wifi import handlers
from services.wifi.pages import pages
from services.wifi.pages_console_forms import PATH, site_or_404
from services.wifi.pages_console_sites import site_page
from services.wifi.schemas import SiteName
from services.wifi.store import SqlWifiStore
from shared.service import RuntimeDep
from shared.web import chosen_language, read_form, see_other, validate

router = APIRouter()


class NameForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    site_name: SiteName


@router.post(PATH + "/{hotspot_id}/name")
async def rename_site(hotspot_id: str, request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request, honeypot=False)  # behind the operator's credential: no bot reaches it
    data, errors = validate(NameForm, form, pages.gettext(chosen_language(request)))
    if data is None or errors:
        async with runtime.db.reading() as session:
            return await site_page(request, session, hotspot_id, form=form, errors=errors, status_code=422)
    async with runtime.db.transaction() as session:
        await site_or_404(request, session, hotspot_id)
        await handlers.update_hotspot(SqlWifiStore(session), hotspot_id, {"site_name": data.site_name})
    return see_other(f"{PATH}/{hotspot_id}?umbenannt=1#name")
