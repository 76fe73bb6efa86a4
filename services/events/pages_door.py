"""The list at the door (/verwaltung/veranstaltungen/<id>/einlass): on the day of the event the office
checks people in on a phone, one big button per person, without JavaScript (POST, then 303 back to the
person's row). Taking a check-in back is the same button once more."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from services.events import handlers, queries_attendance
from services.events.pages import pages
from services.events.pages_console import NO_EVENT, ConsoleDep, settings_of
from services.events.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound
from shared.inputs import Id
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()
EventId = Annotated[Id, Path()]
NOT_NOW = N_("Einchecken geht nur am Tag der Veranstaltung und bis zum Abschluss der Liste.")
NO_PLACE = N_("Diese Person hat keinen bestätigten Platz und kann nicht eingecheckt werden.")


class CheckInForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    anmeldung: Id
    aktion: Literal["da", "zurueck"]


async def door_page(request: Request, event_id: str, *, problem: str | None = None, status_code: int = 200) -> Response:
    now = utcnow()
    config = settings_of(request)
    async with request.app.state.runtime.db.reading() as session:
        try:
            attendance = await queries_attendance.attendance(session, event_id, now, config.attendance_closes_after)
        except NotFound:
            raise NotFound(NO_EVENT) from None
    is_open = attendance.check_in_opens_at <= now and not attendance.closed
    return pages.render(
        request,
        "console_door.html",
        status_code=status_code,
        attendance=attendance,
        is_open=is_open,
        confirmed=[p for p in attendance.registrations if p.status == "confirmed"],
        problem=problem,
    )


@router.get("/verwaltung/veranstaltungen/{event_id}/einlass", response_class=HTMLResponse)
async def door(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    return await door_page(request, event_id)


@router.post("/verwaltung/veranstaltungen/{event_id}/einlass", response_class=HTMLResponse)
async def check_in(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    form = await read_form(request, honeypot=False)
    data, _errors = validate(CheckInForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        return await door_page(request, event_id, problem=pages.text(request, NO_PLACE), status_code=422)
    message = NOT_NOW
    try:
        async with request.app.state.runtime.db.transaction() as session:
            store = SqlStore(session)
            registrant = await handlers.registration_by_id(store, data.anmeldung)
            if registrant.event_id != event_id:
                raise NotFound(NO_EVENT)
            if registrant.status != "confirmed":
                message = NO_PLACE
            closes_after = settings_of(request).attendance_closes_after
            await handlers.check_in(store, data.anmeldung, utcnow(), closes_after, attended=data.aktion == "da")
    except Conflict:
        return await door_page(request, event_id, problem=pages.text(request, message), status_code=409)
    return see_other(f"/verwaltung/veranstaltungen/{event_id}/einlass#r-{data.anmeldung}")
