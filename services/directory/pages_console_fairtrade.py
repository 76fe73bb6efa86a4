"""The Fairtrade-Town campaign in the office's console (`/verwaltung/fairtrade`): the five criteria as
counted now, the title's history (award and renewals), this year's actions, press articles and steering
group meetings, the steering group and the council resolution, with a form for each record (the renewal
dossier: pages_console_dossier.py). The same use cases and read as the JSON API
(fairtrade_handlers.py, fairtrade_queries.campaign_view); every change recounts in its transaction."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.directory import fairtrade_handlers as campaign
from services.directory.deps import SettingsDep
from services.directory.fairtrade_queries import campaign_view
from services.directory.labels import CIVIL_SOCIETY_NAMES, TITLE_KIND_NAMES
from services.directory.pages import pages
from services.directory.pages_console import console_render, console_router
from services.directory.pages_console_forms import (
    ActionForm,
    CouncilForm,
    MeetingForm,
    PopulationForm,
    PressForm,
    SteeringGroupForm,
    TitleForm,
)
from services.directory.pages_fairtrade import criterion_rows
from services.directory.ports import RecordKind
from services.directory.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound
from shared.service import Runtime, RuntimeDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = console_router()
CAMPAIGN = "/verwaltung/fairtrade"
RENEWAL_FIRST = N_("Eine Erneuerung lässt sich erst nach der ersten Verleihung eintragen.")
GONE = N_("Diesen Eintrag gibt es nicht mehr.")
# The records a console page deletes, by the word in its path.
DELETABLE: dict[str, RecordKind] = {
    "aktionen": "actions",
    "presse": "press",
    "sitzungen": "meetings",
    "titel": "titles",
}


async def campaign_page(
    request: Request,
    runtime: Runtime,
    settings: SettingsDep,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    async with runtime.db.reading() as session:
        state = await campaign_view(session, now=utcnow(), settings=settings)
    return console_render(
        request,
        "console/fairtrade.html",
        section="fairtrade",
        status_code=status_code,
        form=form or {},
        errors=errors or {},
        campaign=state,
        criteria=criterion_rows(state),
        civil_society=[(kind, pages.text(request, name)) for kind, name in CIVIL_SOCIETY_NAMES.items()],
        civil_society_names={kind: pages.text(request, name) for kind, name in CIVIL_SOCIETY_NAMES.items()},
        title_kinds=[(kind, pages.text(request, name)) for kind, name in TITLE_KIND_NAMES.items()],
        title_kind_names={kind: pages.text(request, name) for kind, name in TITLE_KIND_NAMES.items()},
        steering_group="\n".join(state["steering_group"]),
    )


@router.get(CAMPAIGN)
async def show(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    return await campaign_page(request, runtime, settings)


async def _form(
    request: Request, model: type[BaseModel], runtime: Runtime, settings: SettingsDep
) -> tuple[Any, Response | None]:
    """The sent form as `model`, or the page again with each problem at its field (422)."""
    form = await read_form(request, honeypot=False)
    data, errors = validate(model, form, pages.gettext(chosen_language(request)))
    if data is None:
        return None, await campaign_page(request, runtime, settings, form=form, errors=errors, status_code=422)
    return data, None


def _done(what: str) -> Response:
    return see_other(f"{CAMPAIGN}?erledigt={what}")


@router.post(CAMPAIGN + "/aktionen")
async def add_action(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    data, page = await _form(request, ActionForm, runtime, settings)
    if page is not None:
        return page
    async with runtime.db.transaction() as session:
        await campaign.add_record(SqlStore(session), "actions", data.model_dump(), now=utcnow(), settings=settings)
    return _done("aktion")


@router.post(CAMPAIGN + "/presse")
async def add_press(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    data, page = await _form(request, PressForm, runtime, settings)
    if page is not None:
        return page
    fields = data.model_dump(mode="json") | {"published_on": data.published_on}
    async with runtime.db.transaction() as session:
        await campaign.add_record(SqlStore(session), "press", fields, now=utcnow(), settings=settings)
    return _done("artikel")


@router.post(CAMPAIGN + "/sitzungen")
async def add_meeting(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    data, page = await _form(request, MeetingForm, runtime, settings)
    if page is not None:
        return page
    async with runtime.db.transaction() as session:
        await campaign.add_record(SqlStore(session), "meetings", data.record(), now=utcnow(), settings=settings)
    return _done("sitzung")


@router.post(CAMPAIGN + "/{kind}/{record_id}/loeschen")
async def delete_record(
    request: Request,
    kind: Literal["aktionen", "presse", "sitzungen", "titel"],
    record_id: Annotated[str, Path(max_length=36)],
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> Response:
    await read_form(request, honeypot=False)
    try:
        async with runtime.db.transaction() as session:
            await campaign.delete_record(SqlStore(session), DELETABLE[kind], record_id, now=utcnow(), settings=settings)
    except NotFound:
        raise NotFound(GONE, field="record_id") from None
    return _done("geloescht")


async def _update(runtime: Runtime, settings: SettingsDep, values: dict[str, Any]) -> None:
    async with runtime.db.transaction() as session:
        await campaign.update_campaign(SqlStore(session), values, now=utcnow(), settings=settings)


@router.post(CAMPAIGN + "/steuerungsgruppe")
async def steering_group(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    data, page = await _form(request, SteeringGroupForm, runtime, settings)
    if page is not None:
        return page
    await _update(runtime, settings, {"steering_group": data.steering_group})
    return _done("steuerungsgruppe")


@router.post(CAMPAIGN + "/ratsbeschluss")
async def council_resolution(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    data, page = await _form(request, CouncilForm, runtime, settings)
    if page is not None:
        return page
    await _update(runtime, settings, data.model_dump())
    return _done("ratsbeschluss")


@router.post(CAMPAIGN + "/einwohner")
async def population(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    data, page = await _form(request, PopulationForm, runtime, settings)
    if page is not None:
        return page
    await _update(runtime, settings, {"population": data.population})
    return _done("einwohner")


@router.post(CAMPAIGN + "/titel")
async def title(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request, honeypot=False)
    gettext = pages.gettext(chosen_language(request))
    data, errors = validate(TitleForm, form, gettext)
    if data is not None:
        try:
            async with runtime.db.transaction() as session:
                await campaign.record_title(SqlStore(session), data.title_kind, data.title_on, now=utcnow())
        except Conflict:
            errors = {"title_kind": gettext(RENEWAL_FIRST)}
        else:
            return _done("titel")
    return await campaign_page(request, runtime, settings, form=form, errors=errors, status_code=422)
