"""The office's forms for events (/verwaltung/veranstaltungen…): a new event or consultation day, a
recurring series and the list of series, editing, publishing and cancelling an event, and the slots of
a consultation day. Each form is checked by the JSON API's own model (schemas.py) and runs the API's
use case (handlers), so no rule exists twice; a refusal of the rules is shown next to the field it
names, with the input kept. Every route needs `ConsoleDep` (the area "events"), which also makes the
signed-in account the `actor` of the events the use cases stage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from services.events import handlers, queries
from services.events.commands import ChangeEvent
from services.events.domain_times import BERLIN
from services.events.pages import pages
from services.events.pages_console import IS_CANCELLED, NO_EVENT, ONLY_EVENTS, ConsoleDep
from services.events.schemas import EventCreate, EventPublic, SeriesCreate, SlotsCreate
from services.events.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Conflict, DomainError, Invalid, NotFound
from shared.inputs import Id
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()
BASE = "/verwaltung/veranstaltungen"
EventId = Annotated[Id, Path()]
PRIVATE = {"cache-control": "no-store"}  # console pages: kept by no cache

# The forms' fields carry the API's names, so that a refusal's `field` names the input at fault.
EVENT_FIELDS = (
    "kind",
    "title",
    "series",
    "description",
    "starts_at",
    "ends_at",
    "venue",
    "online_url",
    "capacity",
    "waitlist",
    "registration_opens_at",
    "registration_closes_at",
    "reconfirm",
    "reconfirm_days_before",
)
SERIES_FIELDS = (*EVENT_FIELDS, "frequency", "count", "interval", "publish")
SLOT_FIELDS = ("starts_at", "minutes", "count", "pause_minutes", "expert", "topic")
CHECKBOXES = ("waitlist", "reconfirm", "publish")
TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
# What the edit form changes (the reconfirmation has its own form on the event's page); places only on
# events, consultation days have slots.
EDITABLE = ("title", "series", "description", *TIMES, "venue", "online_url")
PLACES = ("capacity", "waitlist")

SOMEWHERE = N_("Bitte geben Sie einen Ort oder einen Online-Link an.")
# The use cases' refusals (shared.errors with a `field`) in the page's words.
REFUSALS: dict[str, str] = {
    "ends_at": N_("Das Ende muss nach dem Beginn liegen."),
    "registration_closes_at": N_("Die Anmeldung muss schließen, nachdem sie öffnet."),
    "venue": SOMEWHERE,
    "capacity": N_("Es sind schon mehr Plätze vergeben, als diese Zahl erlaubt."),
    "reconfirm": ONLY_EVENTS,
    "reconfirm_days_before": N_("Bitte 2 bis 14 Tage angeben."),
    "starts_at": N_("Die Termine müssen innerhalb des Beratungstags liegen."),
    "kind": N_("Termine gibt es nur an Beratungstagen."),
}
NOT_PUBLISHED_CANCELLED = N_("Eine abgesagte Veranstaltung kann nicht veröffentlicht werden.")


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = pages.render(request, template, status_code=status_code, **context)
    response.headers.update(PRIVATE)
    return response


def local(moment: datetime | None) -> str:
    """An instant as a `datetime-local` field shows it: Bottrop's wall clock, to the minute."""
    return "" if moment is None else moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


def submitted(form: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """The form's values for the API's model: only its fields; an unticked box is False (a browser
    sends nothing for it), an empty field is not given."""
    data: dict[str, Any] = {name: form[name] for name in names if form.get(name, "") != ""}
    for name in CHECKBOXES:
        if name in names:
            data[name] = form.get(name) == "on"
    return data


def checked(request: Request, model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """The API's model, or the problems by field; the model's own check that an event is somewhere is
    not about one field: it is named at the venue."""
    value, errors = validate(model, data, pages.gettext(chosen_language(request)))
    if "form" in errors:
        del errors["form"]
        errors.setdefault("venue", pages.text(request, SOMEWHERE))
    return value, errors


def refused(request: Request, refusal: DomainError, default_field: str = "form") -> dict[str, str]:
    """A use case's refusal next to its field, in the page's language."""
    if isinstance(refusal, Conflict) and refusal.field is None:
        return {default_field: pages.text(request, IS_CANCELLED)}
    field = refusal.field or default_field
    return {field: pages.text(request, REFUSALS.get(field, N_("Bitte prüfen Sie diese Angabe.")))}


async def event_or_404(request: Request, event_id: str) -> EventPublic:
    async with request.app.state.runtime.db.reading() as session:
        try:
            return await queries.get_event(session, event_id, operator=True)
        except NotFound:
            raise NotFound(NO_EVENT) from None


def event_form(event: EventPublic) -> dict[str, str]:
    """The edit form filled with the event as it is."""
    values = {name: getattr(event, name) for name in ("title", "series", "description", "venue", "online_url")}
    form = {name: "" if value is None else str(value) for name, value in values.items()}
    form |= {name: local(getattr(event, name)) for name in TIMES}
    form["capacity"] = "" if event.capacity is None else str(event.capacity)
    if event.waitlist:
        form["waitlist"] = "on"
    return form


# --- a new event, a new series, the list of series (fixed paths: before /verwaltung/veranstaltungen/{id})


HEADINGS = {
    "new": N_("Neue Veranstaltung"),
    "series": N_("Neue Veranstaltungsreihe"),
    "edit": N_("Veranstaltung bearbeiten"),
}


def form_page(
    request: Request,
    mode: str,
    action: str,
    form: dict[str, str],
    errors: dict[str, str],
    *,
    event: EventPublic | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The one form of an event: new ("new"), a recurring series ("series") or its changes ("edit")."""
    heading = pages.text(request, HEADINGS[mode])
    context = {"mode": mode, "action": action, "heading": heading, "event": event}
    return render(request, "console_event_form.html", status_code=status_code, form=form, errors=errors, **context)


def new_page(request: Request, form: dict[str, str], errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    return form_page(request, "new", BASE + "/neu", form, errors, status_code=status_code)


@router.get(BASE + "/neu", response_class=HTMLResponse)
async def new_event_form(request: Request, _: ConsoleDep) -> HTMLResponse:
    return new_page(request, {"kind": "event", "waitlist": "on", "reconfirm_days_before": "2"}, {})


@router.post(BASE + "/neu", response_class=HTMLResponse)
async def create_event(request: Request, _: ConsoleDep) -> Response:
    """A draft, as POST /events makes it; then its console page, where it is published."""
    form = await read_form(request, honeypot=False)  # behind the console's session: no bot reaches it
    data, errors = checked(request, EventCreate, submitted(form, EVENT_FIELDS))
    if data is not None:
        try:
            async with request.app.state.runtime.db.transaction() as session:
                event_id = await handlers.create_event(SqlStore(session), data.command(), utcnow())
        except (Invalid, Conflict) as refusal:
            errors = refused(request, refusal)
        else:
            return see_other(f"{BASE}/{event_id}")
    return new_page(request, form, errors, status_code=422)


def series_form_page(
    request: Request, form: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    return form_page(request, "series", BASE + "/reihen/neu", form, errors, status_code=status_code)


@router.get(BASE + "/reihen", response_class=HTMLResponse)
async def series_list(request: Request, _: ConsoleDep) -> HTMLResponse:
    async with request.app.state.runtime.db.reading() as session:
        series = await queries.series_overview(session)
    return render(request, "console_series.html", series=series)


@router.get(BASE + "/reihen/neu", response_class=HTMLResponse)
async def new_series_form(request: Request, _: ConsoleDep) -> HTMLResponse:
    defaults = {"kind": "event", "waitlist": "on", "reconfirm_days_before": "2", "frequency": "monthly"}
    return series_form_page(request, defaults | {"interval": "1", "count": "6"}, {})


@router.post(BASE + "/reihen/neu", response_class=HTMLResponse)
async def create_series(request: Request, _: ConsoleDep) -> Response:
    """All dates at once, as POST /events/series makes them (published at once if ticked)."""
    form = await read_form(request, honeypot=False)
    data, errors = checked(request, SeriesCreate, submitted(form, SERIES_FIELDS))
    if data is not None:
        try:
            async with request.app.state.runtime.db.transaction() as session:
                await handlers.create_series(SqlStore(session), data.series_command(), utcnow())
        except (Invalid, Conflict) as refusal:
            errors = refused(request, refusal)
        else:
            return see_other(f"{BASE}/reihen")
    return series_form_page(request, form, errors, status_code=422)


# --- one event: edit, publish, cancel, slots ---------------------------------------------------------


def edit_page(
    request: Request, event: EventPublic, form: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> HTMLResponse:
    action = f"{BASE}/{event.id}/bearbeiten"
    return form_page(request, "edit", action, form, errors, event=event, status_code=status_code)


@router.get(BASE + "/{event_id}/bearbeiten", response_class=HTMLResponse)
async def edit_form(event_id: EventId, request: Request, _: ConsoleDep) -> HTMLResponse:
    event = await event_or_404(request, event_id)
    return edit_page(request, event, event_form(event), {})


@router.post(BASE + "/{event_id}/bearbeiten", response_class=HTMLResponse)
async def edit(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    """The whole form is checked as the API checks a new event, then changed by the API's change
    command: only what differs is changed (and announced, once the event is published)."""
    form = await read_form(request, honeypot=False)
    event = await event_or_404(request, event_id)
    data, errors = checked(request, EventCreate, submitted(form, EVENT_FIELDS) | {"kind": event.kind})
    if data is not None:
        wanted = data.command()
        names = EDITABLE + (PLACES if event.kind == "event" else ())
        values = {name: getattr(wanted, name) for name in names}
        for name in TIMES:  # a time shown to the minute and sent back unchanged stays as it is (seconds)
            if form.get(name, "") == local(getattr(event, name)):
                values[name] = getattr(event, name)
        change = ChangeEvent(event_id, values)
        try:
            async with request.app.state.runtime.db.transaction() as session:
                await handlers.update_event(SqlStore(session), change, utcnow())
        except (Invalid, Conflict) as refusal:
            errors = refused(request, refusal)
        else:
            return see_other(f"{BASE}/{event_id}")
    return edit_page(request, event, form, errors, status_code=422)


@router.post(BASE + "/{event_id}/veroeffentlichen", response_class=HTMLResponse)
async def publish(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    """Open a draft for registration (it shows in the calendar), as POST /events/{id}/publish."""
    await read_form(request, honeypot=False)
    try:
        async with request.app.state.runtime.db.transaction() as session:
            await handlers.publish_event(SqlStore(session), event_id, utcnow())
    except NotFound:
        raise NotFound(NO_EVENT) from None
    except Conflict:
        raise Conflict(NOT_PUBLISHED_CANCELLED) from None
    return see_other(f"{BASE}/{event_id}")


@router.get(BASE + "/{event_id}/absagen", response_class=HTMLResponse)
async def cancel_form(event_id: EventId, request: Request, _: ConsoleDep) -> HTMLResponse:
    """Asks once: cancelling cannot be undone, and every registrant gets a mail."""
    return render(request, "console_event_cancel.html", event=await event_or_404(request, event_id))


@router.post(BASE + "/{event_id}/absagen", response_class=HTMLResponse)
async def cancel(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    """As POST /events/{id}/cancel: the event and all its registrations; idempotent."""
    await read_form(request, honeypot=False)
    try:
        async with request.app.state.runtime.db.transaction() as session:
            await handlers.cancel_event(SqlStore(session), event_id, utcnow())
    except NotFound:
        raise NotFound(NO_EVENT) from None
    return see_other(f"{BASE}/{event_id}")


async def slots_page(
    request: Request,
    event_id: str,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    event = await event_or_404(request, event_id)
    async with request.app.state.runtime.db.reading() as session:
        slots = await queries.list_slots(session, event_id, only_free=False, operator=True)
    defaults = {"starts_at": local(event.starts_at), "minutes": "30", "pause_minutes": "0", "count": "1"}
    return render(
        request,
        "console_slots.html",
        status_code=status_code,
        event=event,
        slots=slots,
        form=form or defaults,
        errors=errors or {},
    )


@router.get(BASE + "/{event_id}/termine", response_class=HTMLResponse)
async def slots(event_id: EventId, request: Request, _: ConsoleDep) -> HTMLResponse:
    return await slots_page(request, event_id)


@router.post(BASE + "/{event_id}/termine", response_class=HTMLResponse)
async def add_slots(event_id: EventId, request: Request, _: ConsoleDep) -> Response:
    """Consecutive slots of a consultation day, as POST /events/{id}/slots makes them."""
    form = await read_form(request, honeypot=False)
    data, errors = checked(request, SlotsCreate, submitted(form, SLOT_FIELDS))
    if data is not None:
        try:
            async with request.app.state.runtime.db.transaction() as session:
                await handlers.add_slots(SqlStore(session), data.command(event_id))
        except NotFound:
            raise NotFound(NO_EVENT) from None
        except (Invalid, Conflict) as refusal:
            errors = refused(request, refusal, default_field="starts_at")
        else:
            return see_other(f"{BASE}/{event_id}/termine")
    return await slots_page(request, event_id, form, errors, status_code=422)
