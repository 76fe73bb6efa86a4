"""The event page with its registration form (a consultation day: a free slot and a topic), the page
after sending, and the calendar files. Registering goes through the registration desk (registration_desk.py)
and the per-client limit the API uses (EVENTS_REGISTRATION_LIMIT, shared across instances)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import queries, queries_exports
from services.events.commands import RegisterForEvent
from services.events.config import EventsSettings
from services.events.handlers.registrations import calendar_path
from services.events.pages import pages, registration_state
from services.events.schemas import Topic
from shared.envelope import utcnow
from shared.errors import Conflict, DomainError, Invalid, NotFound, TooManyRequests
from shared.inputs import LINE, Email, Id, Line
from shared.ratelimit import check_client
from shared.service import ReadingDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()
EventId = Annotated[Id, Path()]
ICS = "text/calendar; charset=utf-8"
NO_EVENT = N_("Diese Veranstaltung gibt es nicht oder nicht mehr.")
NO_SLOT = N_("Diesen Termin gibt es nicht oder nicht mehr.")
TOO_MANY = N_("Von Ihrem Anschluss kamen zu viele Anmeldungen. Bitte versuchen Sie es später noch einmal.")
CONSENT_MISSING = N_("Bitte stimmen Sie zu; ohne Ihre Zustimmung können wir Sie nicht anmelden.")
OWN_TOPIC_MISSING = N_("Bitte nennen Sie Ihr Thema in ein paar Worten.")
TOPIC_MISSING = N_("Bitte wählen Sie ein Thema.")
NOT_NOW = N_("Eine Anmeldung ist gerade nicht möglich; warum, steht oben bei der Veranstaltung.")
# The topics people ask about most at the Digitalisierungssprechtag; "anderes": their own words.
TOPICS = {
    "website": N_("Website"),
    "foerderprogramme": N_("Förderprogramme"),
    "it-sicherheit": N_("IT-Sicherheit"),
    "anderes": N_("Anderes Thema"),
}
# What the use case's refusals mean on this page, next to the field at fault.
REFUSALS = {
    (Conflict, "email"): N_("Mit dieser E-Mail-Adresse ist schon jemand für diese Veranstaltung angemeldet."),
    (Invalid, "slot_id"): N_("Bitte wählen Sie einen Termin."),
    (NotFound, "slot_id"): N_("Diesen Termin gibt es nicht mehr. Bitte wählen Sie einen anderen."),
    (Conflict, "slot_id"): N_("Dieser Termin ist inzwischen vergeben. Bitte wählen Sie einen anderen."),
}


class RegistrationForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=200)
    email: Email
    organisation: Annotated[str, Field(max_length=200), LINE] | None = None
    consent: Literal["on"]
    slot_id: Id | None = None
    topic: Literal["website", "foerderprogramme", "it-sicherheit", "anderes"] | None = None
    own_topic: Topic | None = None


async def shown(session: AsyncSession, event_id: str) -> dict[str, Any]:
    """The event and, on a consultation day, its free slots; a page's NotFound in the page's words."""
    try:
        event = await queries.get_event(session, event_id, operator=False)
        slots = await queries.list_slots(session, event_id, only_free=True) if event.kind == "consultation" else []
    except NotFound:
        raise NotFound(NO_EVENT) from None
    now = utcnow()
    return {"event": event, "slots": slots, "state": registration_state(event, now), "topics": TOPICS}


def settings_of(request: Request) -> EventsSettings:
    configured: EventsSettings = request.app.state.settings
    return configured


@router.get("/veranstaltungen/{event_id}.ics", response_class=Response)
async def event_ics(event_id: EventId, request: Request, session: ReadingDep) -> Response:
    try:
        body = await queries_exports.event_ics(session, event_id, settings_of(request).site_url)
    except NotFound:
        raise NotFound(NO_EVENT) from None
    return Response(body, media_type=ICS, headers={"Content-Disposition": 'attachment; filename="termin.ics"'})


@router.get("/veranstaltungen/{event_id}/termine/{slot_id}.ics", response_class=Response)
async def slot_ics(
    event_id: EventId, slot_id: Annotated[Id, Path()], request: Request, session: ReadingDep
) -> Response:
    """The booked slot alone (the mail links here), not the whole consultation day."""
    event_url = settings_of(request).link(f"/veranstaltungen/{event_id}")
    try:
        body = await queries_exports.slot_ics(session, event_id, slot_id, event_url)
    except NotFound:
        raise NotFound(NO_SLOT) from None
    return Response(body, media_type=ICS, headers={"Content-Disposition": 'attachment; filename="termin.ics"'})


@router.get("/veranstaltungen/{event_id}/angemeldet", response_class=HTMLResponse)
async def registered(
    event_id: EventId,
    request: Request,
    session: ReadingDep,
    waitlist: Annotated[int | None, Query(alias="warteliste", ge=1, le=100_000)] = None,
    slot_id: Annotated[Id | None, Query(alias="termin")] = None,
) -> HTMLResponse:
    """After sending: a place or the waitlist position, and on a consultation day the booked slot."""
    context = await shown(session, event_id)
    slot = None
    if slot_id:
        slot = next((s for s in await queries.list_slots(session, event_id, only_free=False) if s.id == slot_id), None)
    ics = calendar_path(event_id, slot.id if slot else None)
    return pages.render(request, "registered.html", **context, waitlist=waitlist, slot=slot, ics=ics)


@router.get("/veranstaltungen/{event_id}", response_class=HTMLResponse)
async def event_page(event_id: EventId, request: Request, session: ReadingDep) -> HTMLResponse:
    context = await shown(session, event_id)
    return pages.render(request, "event.html", **context, erase_after_days=settings_of(request).erase_after_days)


def checked(
    request: Request, form: dict[str, str], consultation: bool
) -> tuple[RegistrationForm | None, dict[str, str]]:
    """The form, or what is missing, in the order of the form's fields (slot and topic first)."""
    data, invalid = validate(RegistrationForm, form, pages.gettext(chosen_language(request)))
    errors: dict[str, str] = {}
    if consultation and not form.get("slot_id"):
        errors["slot_id"] = pages.text(request, REFUSALS[(Invalid, "slot_id")])
    if consultation and not form.get("topic"):
        errors["topic"] = pages.text(request, TOPIC_MISSING)
    if form.get("topic") == "anderes" and not form.get("own_topic"):
        errors["own_topic"] = pages.text(request, OWN_TOPIC_MISSING)
    errors |= invalid
    if "consent" in errors:
        errors["consent"] = pages.text(request, CONSENT_MISSING)
    return (None if errors else data), errors


@router.post("/veranstaltungen/{event_id}", response_class=HTMLResponse)
async def register(event_id: EventId, request: Request) -> Response:
    form = await read_form(request)
    language = chosen_language(request)
    config = settings_of(request)
    db = request.app.state.runtime.db
    async with db.reading() as session:
        context = await shown(session, event_id)
    data, errors = checked(request, form, context["event"].kind == "consultation")
    if data:
        try:
            await check_client(request, config.registration_rate)
        except TooManyRequests as error:
            raise TooManyRequests(TOO_MANY, retry_after_s=error.retry_after_s) from None
        topic = None
        if data.topic:
            topic = data.own_topic if data.topic == "anderes" else pages.text(request, TOPICS[data.topic])
        command = RegisterForEvent(
            event_id, data.name, data.email, data.organisation, "en" if language == "en" else "de", data.slot_id, topic
        )
        try:
            created = await request.app.state.registration_desk.register(command)
        except DomainError as error:
            if isinstance(error, NotFound) and error.field is None:
                raise NotFound(NO_EVENT) from None
            known = (type(error), error.field or "")
            field = error.field if known in REFUSALS and error.field else "form"
            errors = {field: pages.text(request, REFUSALS.get(known, NOT_NOW))}
            async with db.reading() as session:  # the free places and slots as they are now
                context = await shown(session, event_id)
        else:
            query: dict[str, object] = {"warteliste": created.position} if created.status == "waitlisted" else {}
            if created.slot_id:
                query["termin"] = created.slot_id
            suffix = f"?{urlencode(query)}" if query else ""
            return see_other(f"/veranstaltungen/{event_id}/angemeldet{suffix}")
    return pages.render(
        request,
        "event.html",
        **context,
        erase_after_days=config.erase_after_days,
        form=form,
        errors=errors,
        status_code=422,
    )
