"""The cancel page behind the mail's link (/veranstaltungen/abmelden?anmeldung=…&token=…): it shows
the registration and asks once (mail scanners follow links, so GET changes nothing); the POST carries
the token in a hidden field and cancels through the use case, which gives a freed place to the first
on the waitlist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from services.events import handlers, queries
from services.events.pages import pages
from services.events.store import SqlStore
from shared.envelope import utcnow
from shared.errors import NotFound, Unauthenticated
from shared.inputs import LINE, Id
from shared.service import ReadingDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()
Token = Annotated[str, Field(min_length=1, max_length=200), LINE]
LINK_INVALID = N_("Dieser Link ist ungültig")
LINK_INVALID_TEXT = N_(
    "Der Link zum Abmelden passt zu keiner Anmeldung, oder die Veranstaltung ist vorbei. Bitte nutzen Sie den "
    "Link aus Ihrer letzten E-Mail oder schreiben Sie uns."
)


class CancelForm(BaseModel):
    anmeldung: Id
    token: Token


def link_invalid(request: Request) -> HTMLResponse:
    return pages.render(
        request,
        "error.html",
        status_code=404,
        heading=pages.text(request, LINK_INVALID),
        message=pages.text(request, LINK_INVALID_TEXT),
        back="/veranstaltungen",
    )


@router.get("/veranstaltungen/abmelden", response_class=HTMLResponse)
async def cancel_page(
    request: Request,
    session: ReadingDep,
    registration_id: Annotated[Id | None, Query(alias="anmeldung")] = None,
    token: Annotated[Token | None, Query()] = None,
) -> HTMLResponse:
    try:
        registration = await handlers.authorised_registration(SqlStore(session), registration_id or "", token)
        event = await queries.get_event(session, registration.event_id, operator=False)
    except (NotFound, Unauthenticated):
        return link_invalid(request)
    position = await queries.waitlist_position(session, registration)
    return pages.render(
        request,
        "cancel.html",
        registration=registration,
        event=event,
        position=position,
        registration_id=registration_id,
        token=token,
    )


@router.post("/veranstaltungen/abmelden", response_class=HTMLResponse)
async def cancel(request: Request) -> Response:
    form = await read_form(request, honeypot=False)
    data, _ = validate(CancelForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        return link_invalid(request)
    try:
        async with request.app.state.runtime.db.transaction() as session:
            registration = await handlers.cancel_registration(
                SqlStore(session), data.anmeldung, utcnow(), token=data.token
            )
    except (NotFound, Unauthenticated):
        return link_invalid(request)
    return see_other(f"/veranstaltungen/abgemeldet?veranstaltung={registration.event_id}")


@router.get("/veranstaltungen/abgemeldet", response_class=HTMLResponse)
async def cancelled(
    request: Request, session: ReadingDep, event_id: Annotated[Id | None, Query(alias="veranstaltung")] = None
) -> HTMLResponse:
    event = None
    if event_id:
        try:
            event = await queries.get_event(session, event_id, operator=False)
        except NotFound:
            event = None
    return pages.render(request, "cancelled.html", event=event)
