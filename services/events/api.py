"""HTTP routes of the events service: parse, call a use case, shape the answer."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from services.events import handlers, queries
from services.events.config import EventsSettings
from services.events.schemas import (
    EventCreate,
    EventPublic,
    EventUpdate,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationPublic,
    SeriesCreate,
    SlotPublic,
    SlotsCreate,
)
from shared.auth import OperatorDep, TokenDep, is_operator
from shared.envelope import utcnow
from shared.service import ReadingDep, TransactionDep

router = APIRouter(tags=["events"])

ICS = "text/calendar; charset=utf-8"


def settings(request: Request) -> EventsSettings:
    return request.app.state.settings


def _base_url(request: Request) -> str:
    return settings(request).public_url


@router.get("/events", summary="Upcoming and past public events (operators also see drafts)")
async def list_events(
    request: Request,
    session: ReadingDep,
    token: TokenDep,
    series: str | None = None,
    after: Annotated[datetime | None, Query(description="only events that end after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[EventPublic]:
    return await queries.list_events(
        session, operator=is_operator(request, token), series=series, after=after, limit=limit, offset=offset
    )


@router.post("/events", status_code=status.HTTP_201_CREATED, summary="Create an event (draft)")
async def create_event(data: EventCreate, _: OperatorDep, session: TransactionDep) -> EventPublic:
    event_id = await handlers.create_event(session, data, utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post("/events/series", status_code=status.HTTP_201_CREATED, summary="Create a recurring series at once")
async def create_series(data: SeriesCreate, _: OperatorDep, session: TransactionDep) -> list[EventPublic]:
    ids = await handlers.create_series(session, data, utcnow())
    return [await queries.get_event(session, event_id, operator=True) for event_id in ids]


@router.get(
    "/events.ics",
    summary="iCalendar feed of all public events",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def feed(request: Request, session: ReadingDep, series: str | None = None) -> Response:
    return Response(await queries.feed_ics(session, _base_url(request), series), media_type=ICS)


@router.get(
    "/events/{event_id}.ics",
    summary="One event as iCalendar",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def event_ics(event_id: str, request: Request, session: ReadingDep) -> Response:
    body = await queries.event_ics(session, event_id, _base_url(request))
    return Response(body, media_type=ICS, headers={"Content-Disposition": f'attachment; filename="{event_id}.ics"'})


@router.get("/events/{event_id}", summary="One event with its free places")
async def get_event(event_id: str, request: Request, session: ReadingDep, token: TokenDep) -> EventPublic:
    return await queries.get_event(session, event_id, operator=is_operator(request, token))


@router.patch("/events/{event_id}", summary="Change an event; published changes are announced")
async def update_event(event_id: str, data: EventUpdate, _: OperatorDep, session: TransactionDep) -> EventPublic:
    await handlers.update_event(session, event_id, data, utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post("/events/{event_id}/publish", summary="Publish an event: it opens for registration")
async def publish_event(event_id: str, _: OperatorDep, session: TransactionDep) -> EventPublic:
    await handlers.publish_event(session, event_id, utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post("/events/{event_id}/cancel", summary="Cancel an event and all its registrations")
async def cancel_event(event_id: str, _: OperatorDep, session: TransactionDep) -> EventPublic:
    await handlers.cancel_event(session, event_id, utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post(
    "/events/{event_id}/slots",
    status_code=status.HTTP_201_CREATED,
    summary="Add consultation slots to a consultation day",
)
async def add_slots(event_id: str, data: SlotsCreate, _: OperatorDep, session: TransactionDep) -> list[SlotPublic]:
    ids = set(await handlers.add_slots(session, event_id, data))
    return [
        slot for slot in await queries.list_slots(session, event_id, only_free=False, operator=True) if slot.id in ids
    ]


@router.get("/events/{event_id}/slots", summary="Slots of a consultation day (no names)")
async def list_slots(
    event_id: str, request: Request, session: ReadingDep, token: TokenDep, free: bool = False
) -> list[SlotPublic]:
    return await queries.list_slots(session, event_id, only_free=free, operator=is_operator(request, token))


@router.post(
    "/events/{event_id}/registrations",
    status_code=status.HTTP_201_CREATED,
    summary="Register: a place, or the waitlist with its position",
)
async def register(event_id: str, data: RegistrationCreate, request: Request) -> RegistrationCreated:
    # The transaction is opened here rather than through TransactionDep: the body is validated before
    # the (on SQLite: process-wide) write turn is taken and no sync dependency runs in the thread pool;
    # the commit still happens before the answer, so a 201 means the registration is stored.
    db = request.app.state.runtime.db
    async with db.transaction() as session:
        created = await handlers.register(session, event_id, data, utcnow(), _base_url(request))
    return RegistrationCreated(**created)


@router.get(
    "/events/{event_id}/registrations.csv",
    summary="Participants as CSV (operators)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def participants(event_id: str, _: OperatorDep, session: ReadingDep) -> Response:
    body = await queries.participants_csv(session, event_id)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="teilnehmende-{event_id}.csv"'},
    )


@router.get("/registrations/{registration_id}", summary="A registration's state, with its own token")
async def get_registration(
    registration_id: str,
    session: ReadingDep,
    token: TokenDep,
    token_query: Annotated[str | None, Query(alias="token")] = None,
) -> RegistrationPublic:
    registration = await handlers.authorised_registration(session, registration_id, token or token_query)
    return RegistrationPublic(**await queries.registration_view(session, registration))


CONFIRM_PAGE = """<!doctype html><html lang="de"><meta charset="utf-8"><title>Abmelden / Cancel</title>
<body><h1>Anmeldung stornieren?</h1><p lang="en">Cancel your registration?</p>
<form method="post" action="/registrations/{id}/cancel"><input type="hidden" name="token" value="{token}">
<button type="submit">Ja, stornieren / Yes, cancel</button></form></body></html>"""


@router.get(
    "/registrations/{registration_id}/cancel",
    response_class=HTMLResponse,
    summary="The cancel link: a page that asks before cancelling (mail scanners follow links)",
)
async def cancel_page(registration_id: str, token: str, session: ReadingDep) -> HTMLResponse:
    await handlers.authorised_registration(session, registration_id, token)
    return HTMLResponse(CONFIRM_PAGE.format(id=html.escape(registration_id), token=html.escape(token)))


@router.post(
    "/registrations/{registration_id}/cancel",
    summary="Cancel a registration with its own token (bearer, form field or query)",
)
async def cancel_registration(
    registration_id: str, request: Request, session: TransactionDep, token: TokenDep
) -> RegistrationPublic:
    presented = token or request.query_params.get("token")
    if not presented and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        presented = (parse_qs((await request.body()).decode(errors="replace")).get("token") or [None])[0]
    await handlers.cancel_registration(session, registration_id, utcnow(), token=presented)
    registration = await handlers.authorised_registration(session, registration_id, presented)
    return RegistrationPublic(**await queries.registration_view(session, registration))


@router.delete("/registrations/{registration_id}", summary="Cancel a registration (operators)")
async def delete_registration(registration_id: str, _: OperatorDep, session: TransactionDep) -> RegistrationPublic:
    await handlers.cancel_registration(session, registration_id, utcnow(), by_operator=True)
    registration = await handlers.registration_by_id(session, registration_id)
    return RegistrationPublic(**await queries.registration_view(session, registration))
