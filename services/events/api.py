"""HTTP routes of the events service: parse, call a use case, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from services.events import handlers, queries, queries_exports
from services.events.config import EventsSettings
from services.events.schemas import (
    EventCreate,
    EventPublic,
    EventUpdate,
    RegistrationCreate,
    RegistrationCreated,
    Series,
    SeriesCreate,
    SlotPublic,
    SlotsCreate,
)
from services.events.store import SqlStore
from shared.auth import OperatorDep, TokenDep, is_operator
from shared.envelope import utcnow
from shared.inputs import Id, Instant, Offset
from shared.ratelimit import check_client
from shared.service import ReadingDep, TransactionDep
from shared.spreadsheet import csv_response

router = APIRouter(tags=["events"])

ICS = "text/calendar; charset=utf-8"
EventId = Annotated[Id, Path(description="the event's id")]
SeriesName = Annotated[Series | None, Query(description="only the events of this series")]


async def settings(request: Request) -> EventsSettings:
    """The service's one settings object, created in app.py (async: no trip through the thread pool)."""
    configured: EventsSettings = request.app.state.settings
    return configured


SettingsDep = Annotated[EventsSettings, Depends(settings)]


@router.get("/events", summary="Upcoming and past public events (operators also see drafts)")
async def list_events(
    request: Request,
    session: ReadingDep,
    token: TokenDep,
    series: SeriesName = None,
    after: Annotated[Instant | None, Query(description="only events that end after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> list[EventPublic]:
    return await queries.list_events(
        session, operator=is_operator(request, token), series=series, after=after, limit=limit, offset=offset
    )


@router.post("/events", status_code=status.HTTP_201_CREATED, summary="Create an event (draft)")
async def create_event(data: EventCreate, _: OperatorDep, session: TransactionDep) -> EventPublic:
    event_id = await handlers.create_event(SqlStore(session), data.command(), utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post("/events/series", status_code=status.HTTP_201_CREATED, summary="Create a recurring series at once")
async def create_series(data: SeriesCreate, _: OperatorDep, session: TransactionDep) -> list[EventPublic]:
    ids = await handlers.create_series(SqlStore(session), data.series_command(), utcnow())
    return [await queries.get_event(session, event_id, operator=True) for event_id in ids]


@router.get(
    "/events.ics",
    summary="iCalendar feed of all public events",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def feed(config: SettingsDep, session: ReadingDep, series: SeriesName = None) -> Response:
    return Response(await queries_exports.feed_ics(session, config.site_url, series), media_type=ICS)


@router.get(
    "/events/{event_id}.ics",
    summary="One event as iCalendar",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def event_ics(event_id: EventId, config: SettingsDep, session: ReadingDep) -> Response:
    body = await queries_exports.event_ics(session, event_id, config.site_url)
    return Response(body, media_type=ICS, headers={"Content-Disposition": f'attachment; filename="{event_id}.ics"'})


@router.get("/events/{event_id}", summary="One event with its free places")
async def get_event(event_id: EventId, request: Request, session: ReadingDep, token: TokenDep) -> EventPublic:
    return await queries.get_event(session, event_id, operator=is_operator(request, token))


@router.patch("/events/{event_id}", summary="Change an event; published changes are announced")
async def update_event(event_id: EventId, data: EventUpdate, _: OperatorDep, session: TransactionDep) -> EventPublic:
    await handlers.update_event(SqlStore(session), data.command(event_id), utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post("/events/{event_id}/publish", summary="Publish an event: it opens for registration")
async def publish_event(event_id: EventId, _: OperatorDep, session: TransactionDep) -> EventPublic:
    await handlers.publish_event(SqlStore(session), event_id, utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post("/events/{event_id}/cancel", summary="Cancel an event and all its registrations")
async def cancel_event(event_id: EventId, _: OperatorDep, session: TransactionDep) -> EventPublic:
    await handlers.cancel_event(SqlStore(session), event_id, utcnow())
    return await queries.get_event(session, event_id, operator=True)


@router.post(
    "/events/{event_id}/slots",
    status_code=status.HTTP_201_CREATED,
    summary="Add consultation slots to a consultation day",
)
async def add_slots(event_id: EventId, data: SlotsCreate, _: OperatorDep, session: TransactionDep) -> list[SlotPublic]:
    ids = set(await handlers.add_slots(SqlStore(session), data.command(event_id)))
    return [
        slot for slot in await queries.list_slots(session, event_id, only_free=False, operator=True) if slot.id in ids
    ]


@router.get("/events/{event_id}/slots", summary="Slots of a consultation day (no names)")
async def list_slots(
    event_id: EventId, request: Request, session: ReadingDep, token: TokenDep, free: bool = False
) -> list[SlotPublic]:
    return await queries.list_slots(session, event_id, only_free=free, operator=is_operator(request, token))


@router.post(
    "/events/{event_id}/registrations",
    status_code=status.HTTP_201_CREATED,
    summary="Register: a place, or the waitlist with its position",
    responses={
        429: {"description": "zu viele Anmeldungen von diesem Client / too many registrations from this client"}
    },
)
async def register(event_id: EventId, data: RegistrationCreate, request: Request) -> RegistrationCreated:
    # No TransactionDep: the registration desk decides it together with the others that arrive for the
    # same event meanwhile, in its own transaction (registration_desk.py); it answers after the commit,
    # so a 201 means the registration is stored.
    await check_client(request, request.app.state.settings.registration_rate)  # EVENTS_REGISTRATION_LIMIT
    created = await request.app.state.registration_desk.register(data.command(event_id))
    return RegistrationCreated.model_validate(created, from_attributes=True)


@router.get(
    "/events/{event_id}/registrations.csv",
    summary="Participants as CSV (operators)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def participants(event_id: EventId, _: OperatorDep, session: ReadingDep) -> Response:
    rows = await queries_exports.participants(session, event_id)
    return csv_response(queries_exports.PARTICIPANTS_HEADER, rows, f"teilnehmende-{event_id}.csv")
