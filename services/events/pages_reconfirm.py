"""The reconfirmation page behind the mail's link (/veranstaltungen/bestaetigen?anmeldung=…&token=…):
it shows the registration and offers two buttons, "I am coming" (POST here) and "free my place" (POST
to the cancel page with the same token). GET changes nothing: mail scanners follow links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from services.events import domain_attendance, handlers, queries, queries_attendance
from services.events.pages import pages
from services.events.pages_cancel import CancelForm, Token, link_invalid
from services.events.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound, Unauthenticated
from shared.inputs import Id
from shared.service import ReadingDep
from shared.web import chosen_language, read_form, see_other, validate

router = APIRouter()


@router.get("/veranstaltungen/bestaetigen", response_class=HTMLResponse)
async def reconfirm_page(
    request: Request,
    session: ReadingDep,
    registration_id: Annotated[Id | None, Query(alias="anmeldung")] = None,
    token: Annotated[Token | None, Query()] = None,
) -> HTMLResponse:
    try:
        registration = await handlers.authorised_registration(SqlStore(session), registration_id or "", token)
        event = await queries.get_event(session, registration.event_id, operator=False)
        aggregate = await queries_attendance.event_rules(session, registration.event_id)
    except (NotFound, Unauthenticated):
        return link_invalid(request)
    deadline = domain_attendance.reply_by(aggregate, request.app.state.settings.reconfirm_deadline)
    return pages.render(
        request,
        "reconfirm.html",
        registration=registration,
        event=event,
        reply_by=deadline,
        registration_id=registration_id,
        token=token,
    )


@router.post("/veranstaltungen/bestaetigen", response_class=HTMLResponse)
async def reconfirm(request: Request) -> Response:
    form = await read_form(request, honeypot=False)
    data, _ = validate(CancelForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        return link_invalid(request)
    try:
        async with request.app.state.runtime.db.transaction() as session:
            registration = await handlers.reconfirm(SqlStore(session), data.anmeldung, data.token, utcnow())
    except (NotFound, Unauthenticated):
        return link_invalid(request)
    except Conflict:  # the place was released or cancelled meanwhile: the page says so
        return see_other(f"/veranstaltungen/bestaetigen?anmeldung={data.anmeldung}&token={data.token}")
    return see_other(f"/veranstaltungen/bestaetigt?veranstaltung={registration.event_id}")


@router.get("/veranstaltungen/bestaetigt", response_class=HTMLResponse)
async def reconfirmed(
    request: Request, session: ReadingDep, event_id: Annotated[Id | None, Query(alias="veranstaltung")] = None
) -> HTMLResponse:
    event = None
    if event_id:
        try:
            event = await queries.get_event(session, event_id, operator=False)
        except NotFound:
            event = None
    return pages.render(request, "reconfirmed.html", event=event)
