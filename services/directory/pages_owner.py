"""The owner's page (/verzeichnis/eintrag): the edit link's token is exchanged once for the session
cookie (owner_session.py) and the browser sent on to the clean address, so the token stays in no
history; the page shows how complete the profile is and what is missing, and saves through the
owner-edit use case (the same rules as the API's PATCH with the edit token: on a published profile
free text waits for the office)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import handlers, opening_week, owner_session, queries
from services.directory.config import DirectorySettings
from services.directory.deps import SettingsDep
from services.directory.labels import CATEGORY_NAMES
from services.directory.owner_forms import (
    DAY_NAMES,
    HOLIDAYS_FIELD,
    OFFER_FIELDS,
    OwnerEditForm,
    day_fields,
    form_of_profile,
    offer_of_form,
    week_of_form,
)
from services.directory.owner_texts import FIELDS, MISSING, RULES, STATUS
from services.directory.pages import pages
from services.directory.review_queries import latest_decisions, note_for_owner
from services.directory.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Invalid
from shared.service import RuntimeDep
from shared.web import chosen_language, read_form, see_other, validate

router = APIRouter()

PAGE = owner_session.PATH  # /verzeichnis/eintrag
PRIVATE = {"cache-control": "no-store"}


async def owner_profile(request: Request, session: AsyncSession, settings: DirectorySettings) -> dict[str, Any] | None:
    """The profile of this browser's owner session, if it is still valid."""
    found = owner_session.business_of(request, settings)
    if found is None:
        return None
    profile = await queries.profile(session, found[0])
    return profile if profile is not None and owner_session.still_valid(profile, found[1]) else None


async def waiting_and_note(session: AsyncSession, profile: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
    """The change waiting for the office, and the office's note the owner should read (review_queries)."""
    pending = (await queries.pending_changes(session, [profile["id"]])).get(profile["id"])
    decision = (await latest_decisions(session, [profile["id"]])).get(profile["id"])
    return pending, note_for_owner(profile, decision)


def signed_out(request: Request) -> Response:
    return pages.render(request, "owner_signin.html", status_code=401)


@router.get(PAGE + "/zugang")
async def exchange_token(
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The mail's link: its token becomes the session cookie, then on to the clean address."""
    async with runtime.db.reading() as session:
        business_id = await queries.owner_of_token(session, token) if token else None
        profile = await queries.profile(session, business_id) if business_id else None
    if profile is None or profile["status"] == "archived":
        return pages.render(request, "owner_link_invalid.html", status_code=404)
    response = see_other(PAGE)
    owner_session.start(response, settings, profile)
    response.headers.update(PRIVATE)
    return response


def edit_page(
    request: Request,
    profile: dict[str, Any],
    pending: dict[str, Any] | None,
    settings: DirectorySettings,
    *,
    note: Any = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    def text(message: str) -> str:
        return pages.text(request, message)

    view = queries.view(profile, utcnow(), settings)
    waiting = dict(pending["fields"]) if pending else {}
    shown = form if form is not None else form_of_profile(profile | waiting)
    response = pages.render(
        request,
        "owner.html",
        status_code=status_code,
        form=shown,
        errors=errors or {},
        profile=view,
        status_text=text(STATUS[profile["status"]]),
        missing=[(text(MISSING[name][0]), MISSING[name][1]) for name in view["missing"]],
        waiting=[text(FIELDS[name]) for name in waiting if name in FIELDS],
        note=note,
        categories=[(slug, text(label)) for slug, label in CATEGORY_NAMES.items()],
        days=[(day, text(name), *day_fields(day)) for day, name in DAY_NAMES.items()],
        holidays_field=HOLIDAYS_FIELD,
        week_form="opening_hours" not in shown,
        saved=request.query_params.get("gespeichert") == "1" and form is None,
        public_url=f"/verzeichnis/{profile['id']}" if profile["status"] == "published" else None,  # this site
    )
    response.headers.update(PRIVATE)
    return response


@router.get(PAGE)
async def owner_page(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    async with runtime.db.reading() as session:
        profile = await owner_profile(request, session, settings)
        if profile is None:
            return signed_out(request)
        pending, note = await waiting_and_note(session, profile)
    return edit_page(request, profile, pending, settings, note=note)


def changes_of(data: OwnerEditForm, week: opening_week.Week | None, offer: dict[str, Any] | None) -> dict[str, Any]:
    """The profile's fields from the form (JSON values); the week, when the page showed it, as OSM; the
    offer from its text fields."""
    changes = data.model_dump(mode="json", exclude=set(OFFER_FIELDS)) | {"offer": offer}
    if week is not None:
        changes["opening_hours"] = opening_week.to_osm(week)
    return changes


@router.post(PAGE)
async def save(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request, honeypot=False)  # behind the owner's session: no bot reaches it
    async with runtime.db.reading() as session:
        profile = await owner_profile(request, session, settings)
        if profile is None:
            return signed_out(request)
        pending, note = await waiting_and_note(session, profile)
    gettext = pages.gettext(chosen_language(request))
    data, errors = validate(OwnerEditForm, form, gettext)
    week, week_errors = (None, {}) if "opening_hours" in form else week_of_form(form, gettext)
    errors |= week_errors
    offer, offer_errors = offer_of_form(data, gettext) if data is not None else (None, {})
    errors |= offer_errors
    if data is None or errors:
        return edit_page(request, profile, pending, settings, note=note, form=form, errors=errors, status_code=422)
    try:
        async with runtime.db.transaction() as session:
            store = SqlStore(session)
            locked = await store.get_profile(profile["id"], for_update=True)
            if locked is None or locked["edit_token_hash"] != profile["edit_token_hash"]:
                return signed_out(request)  # a new link was sent meanwhile
            await handlers.update_business(
                store, profile["id"], changes_of(data, week, offer), now=utcnow(), settings=settings, by_office=False
            )
    except Invalid as exc:  # a rule of the whole profile (profile_checks): said at the field it names
        if exc.field not in RULES:
            raise
        shown = "mo_von" if exc.field == "opening_hours" and "opening_hours" not in form else exc.field
        errors = {shown: gettext(RULES[exc.field])}
        return edit_page(request, profile, pending, settings, note=note, form=form, errors=errors, status_code=422)
    return see_other(PAGE + "?gespeichert=1")


@router.post(PAGE + "/abmelden")
async def sign_out(request: Request, settings: SettingsDep) -> Response:
    await read_form(request, honeypot=False)
    response = see_other("/verzeichnis")
    owner_session.end(response, settings)
    return response
