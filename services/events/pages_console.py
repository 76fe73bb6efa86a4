"""The office's console pages for events (/verwaltung/veranstaltungen…): the events, today's first; one
event with its participants, the reconfirmation setting and the CSV; the list at the door is in
pages_door.py. Every route needs `ConsoleDep`, the one access check of these pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import handlers, queries, queries_attendance, queries_exports
from services.events.commands import ChangeEvent
from services.events.config import EventsSettings
from services.events.pages import pages
from services.events.store import SqlStore
from shared.console.pages import console_operator
from shared.console.roles import Operator
from shared.envelope import utcnow
from shared.errors import Conflict, Invalid, NotFound
from shared.inputs import Id
from shared.service import ReadingDep
from shared.spreadsheet import csv_response
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()
EventId = Annotated[Id, Path()]
AREA = "events"  # the console area these pages need (shared/console/roles.py)
NO_EVENT = N_("Diese Veranstaltung gibt es nicht.")
ONLY_EVENTS = N_("Nur Veranstaltungen mit Plätzen können um eine Bestätigung bitten, Beratungstage nicht.")
IS_CANCELLED = N_("Die Veranstaltung ist abgesagt; daran lässt sich nichts mehr ändern.")


# The one access check of the events console: a console session whose role has the area "events".
ConsoleDep = Annotated[Operator, Depends(console_operator(AREA))]


def settings_of(request: Request) -> EventsSettings:
    configured: EventsSettings = request.app.state.settings
    return configured


@router.get("/verwaltung/veranstaltungen", response_class=HTMLResponse)
async def event_list(request: Request, _: ConsoleDep, session: ReadingDep) -> HTMLResponse:
    """Today's events first (with the link to the list at the door), then the coming ones, then the last
    month's."""
    now = utcnow()
    events = await queries.list_events(session, operator=True, after=now - timedelta(days=31), limit=500)
    return pages.render(request, "console_events.html", events=queries_attendance.today_first(events, now), now=now)


class ReconfirmForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reconfirm: Literal["on"] | None = None
    tage: int = Field(2, ge=2, le=14)


async def event_page(
    request: Request,
    session: AsyncSession,
    event_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        event = await queries.get_event(session, event_id, operator=True)
    except NotFound:
        raise NotFound(NO_EVENT) from None
    config = settings_of(request)
    attendance = await queries_attendance.attendance(session, event_id, utcnow(), config.attendance_closes_after)
    return pages.render(
        request,
        "console_event.html",
        status_code=status_code,
        event=event,
        attendance=attendance,
        form=form or {},
        errors=errors or {},
        deadline_h=config.reconfirm_deadline_h,
    )


@router.get("/verwaltung/veranstaltungen/{event_id}", response_class=HTMLResponse)
async def one_event(event_id: EventId, request: Request, _: ConsoleDep, session: ReadingDep) -> HTMLResponse:
    return await event_page(request, session, event_id)


@router.post("/verwaltung/veranstaltungen/{event_id}/bestaetigung", response_class=HTMLResponse)
async def reconfirm_setting(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    """Ask (or stop asking) the registrants to confirm again, and how many days before."""
    form = await read_form(request, honeypot=False)
    data, errors = validate(ReconfirmForm, form, pages.gettext(chosen_language(request)))
    db = request.app.state.runtime.db
    if data is not None:
        change = ChangeEvent(event_id, {"reconfirm": data.reconfirm == "on", "reconfirm_days_before": data.tage})
        try:
            async with db.transaction() as session:
                await handlers.update_event(SqlStore(session), change, utcnow())
        except NotFound:
            raise NotFound(NO_EVENT) from None
        except (Invalid, Conflict) as refusal:
            message = ONLY_EVENTS if isinstance(refusal, Invalid) else IS_CANCELLED
            errors = {"reconfirm": pages.text(request, message)}
        else:
            return see_other(f"/verwaltung/veranstaltungen/{event_id}")
    async with db.reading() as session:
        return await event_page(request, session, event_id, form=form, errors=errors, status_code=422)


@router.get("/verwaltung/veranstaltungen/{event_id}/teilnehmende.csv", response_class=Response)
async def participants_csv(event_id: EventId, _: ConsoleDep, session: ReadingDep) -> Response:
    try:
        rows = await queries_exports.participants(session, event_id)
    except NotFound:
        raise NotFound(NO_EVENT) from None
    return csv_response(queries_exports.PARTICIPANTS_HEADER, rows, f"teilnehmende-{event_id}.csv")
