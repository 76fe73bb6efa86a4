"""One profile in the office's console (`/verwaltung/verzeichnis/<id>`): its data as the owner wrote it
(escaped), the change waiting for review beside the live values, the history of decisions, and the
actions its status allows, each a POST form with CSRF: publish, approve a change, send back to the owner
with a note, unpublish, archive (after a confirmation page: archived is final). The use cases are the
JSON API's (handlers.py, review_handlers.py)."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from services.directory import domain, handlers, queries, review_handlers
from services.directory.deps import SettingsDep
from services.directory.pages import pages
from services.directory.pages_console import QUEUE, STATUS_NAMES, console_render, console_router
from services.directory.pages_console_forms import DecisionForm, NoteForm
from services.directory.pages_console_texts import CHANGE_STATUS, differences, rows
from services.directory.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Conflict, NotFound
from shared.service import Runtime, RuntimeDep
from shared.web import N_, chosen_language, read_form, see_other, validate

PROFILE = QUEUE + "/{business_id:uuid}"
NOT_FOUND = N_("Diesen Eintrag gibt es nicht.")
CHANGED_MEANWHILE = N_(
    "Das ging nicht: Der Eintrag oder die Änderung hat sich inzwischen geändert. Bitte prüfen Sie den neuen Stand."
)
router = console_router()


async def profile_page(
    request: Request,
    runtime: Runtime,
    business_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    def text(message: str) -> str:
        return pages.text(request, message)

    async with runtime.db.reading() as session:
        profile = await queries.profile(session, business_id)
        if profile is None:
            raise NotFound(NOT_FOUND, field="business_id")
        pending = (await queries.pending_changes(session, [business_id])).get(business_id)
        history = await queries.changes_of(session, business_id)
    status = profile["status"]
    return console_render(
        request,
        "console/profile.html",
        section="queue" if status == domain.PENDING or pending else "all",
        status_code=status_code,
        form=form or {},
        errors=errors or {},
        problem=text(problem) if problem else None,
        profile=profile,
        rows=rows(profile, text),
        status_name=text(STATUS_NAMES[status]),
        pending=pending,
        differences=differences(profile, pending["fields"], text) if pending else [],
        history=[
            change | {"status_name": text(CHANGE_STATUS[change["status"]])}
            for change in history
            if change["status"] != "pending"
        ],
        can_publish=status in (domain.PENDING, domain.UNPUBLISHED),
        can_send_back=status in (domain.PENDING, domain.UNPUBLISHED) or pending is not None,
        can_unpublish=status == domain.PUBLISHED,
        can_change=status != domain.ARCHIVED,
        public_url=f"/verzeichnis/{business_id}" if status == domain.PUBLISHED else None,
    )


@router.get(PROFILE)
async def show(request: Request, business_id: UUID, runtime: RuntimeDep) -> Response:
    return await profile_page(request, runtime, str(business_id))


async def _status(
    request: Request, business_id: UUID, runtime: RuntimeDep, settings: SettingsDep, target: str, done: str, to: str
) -> Response:
    await read_form(request, honeypot=False)
    try:
        async with runtime.db.transaction() as session:
            await handlers.change_status(SqlStore(session), str(business_id), target, now=utcnow(), settings=settings)
    except NotFound:  # the use case's own words are for API clients
        raise NotFound(NOT_FOUND, field="business_id") from None
    except Conflict:
        return await profile_page(request, runtime, str(business_id), problem=CHANGED_MEANWHILE, status_code=409)
    return see_other(f"{to}?erledigt={done}")


@router.post(PROFILE + "/veroeffentlichen")
async def publish(request: Request, business_id: UUID, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    return await _status(request, business_id, runtime, settings, domain.PUBLISHED, "veroeffentlicht", QUEUE)


@router.post(PROFILE + "/zurueckziehen")
async def unpublish(request: Request, business_id: UUID, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    page = f"{QUEUE}/{business_id}"
    return await _status(request, business_id, runtime, settings, domain.UNPUBLISHED, "zurueckgezogen", page)


@router.get(PROFILE + "/archivieren")
async def confirm_archive(request: Request, business_id: UUID, runtime: RuntimeDep) -> Response:
    async with runtime.db.reading() as session:
        profile = await queries.profile(session, str(business_id))
    if profile is None:
        raise NotFound(NOT_FOUND, field="business_id")
    return console_render(request, "console/archive.html", section="all", profile=profile)


@router.post(PROFILE + "/archivieren")
async def archive(request: Request, business_id: UUID, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    page = f"{QUEUE}/{business_id}"
    return await _status(request, business_id, runtime, settings, domain.ARCHIVED, "archiviert", page)


async def _change_of(store: SqlStore, change_id: str, business_id: str) -> str:
    """The change named by the form, if it is this profile's (else 404)."""
    change = await store.get_change(change_id)
    if change is None or change["business_id"] != business_id:
        raise NotFound(NOT_FOUND, field="change")
    return change_id


@router.post(PROFILE + "/freigeben")
async def approve(request: Request, business_id: UUID, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request, honeypot=False)
    data, _ = validate(DecisionForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        raise NotFound(NOT_FOUND, field="change")
    try:
        async with runtime.db.transaction() as session:
            store = SqlStore(session)
            change_id = await _change_of(store, data.change, str(business_id))
            await handlers.approve_change(store, change_id, now=utcnow(), settings=settings)
    except Conflict:
        return await profile_page(request, runtime, str(business_id), problem=CHANGED_MEANWHILE, status_code=409)
    return see_other(f"{QUEUE}?erledigt=freigegeben")


@router.post(PROFILE + "/zurueckgeben")
async def send_back(request: Request, business_id: UUID, runtime: RuntimeDep) -> Response:
    """With a change named: reject it with the note; without: send the unpublished profile back."""
    form = await read_form(request, honeypot=False)
    data, errors = validate(NoteForm, form, pages.gettext(chosen_language(request)))
    if data is None:
        return await profile_page(request, runtime, str(business_id), form=form, errors=errors, status_code=422)
    try:
        async with runtime.db.transaction() as session:
            store = SqlStore(session)
            if data.change:
                change_id = await _change_of(store, data.change, str(business_id))
                await handlers.reject_change(store, change_id, data.note, now=utcnow())
            else:
                await review_handlers.send_back(store, str(business_id), data.note, now=utcnow())
    except NotFound:
        raise NotFound(NOT_FOUND, field="business_id") from None
    except Conflict:
        return await profile_page(
            request, runtime, str(business_id), form=form, problem=CHANGED_MEANWHILE, status_code=409
        )
    return see_other(f"{QUEUE}?erledigt=zurueckgegeben")
