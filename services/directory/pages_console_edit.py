"""The office edits any profile (`/verwaltung/verzeichnis/<id>/bearbeiten`): the owner's form and its
checks (owner_forms.py) with what only the office sets, through the edit use case as the office
(`by_office`: its edits go live at once, as the API's PATCH with the operator token).

Only the fields the office changed are sent: a field an owner's waiting change proposes and the office
leaves alone keeps waiting (sending the whole form would withdraw the owner's change unseen)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from services.directory import domain, handlers, queries
from services.directory.deps import SettingsDep
from services.directory.labels import CATEGORY_NAMES
from services.directory.owner_forms import DAY_NAMES, HOLIDAYS_FIELD, day_fields, offer_of_form, week_of_form
from services.directory.owner_texts import FIELDS, RULES
from services.directory.pages import pages
from services.directory.pages_console import QUEUE, console_render, console_router
from services.directory.pages_console_forms import OfficeEditForm, office_form_of_profile
from services.directory.pages_console_texts import LANGUAGE_NAMES
from services.directory.pages_owner import changes_of
from services.directory.store import SqlStore
from shared.envelope import utcnow
from shared.errors import Invalid, NotFound
from shared.service import Runtime, RuntimeDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = console_router()
EDIT = QUEUE + "/{business_id:uuid}/bearbeiten"
NOT_FOUND = N_("Diesen Eintrag gibt es nicht.")


async def _profile(runtime: Runtime, business_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    async with runtime.db.reading() as session:
        profile = await queries.profile(session, business_id)
        if profile is None or profile["status"] == domain.ARCHIVED:  # archived is final
            raise NotFound(NOT_FOUND, field="business_id")
        pending = (await queries.pending_changes(session, [business_id])).get(business_id)
    return profile, pending


def edit_page(
    request: Request,
    profile: dict[str, Any],
    pending: dict[str, Any] | None,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    def text(message: str) -> str:
        return pages.text(request, message)

    shown = form if form is not None else office_form_of_profile(profile)
    return console_render(
        request,
        "console/edit.html",
        section="all",
        status_code=status_code,
        form=shown,
        errors=errors or {},
        profile=profile,
        waiting=[text(FIELDS[name]) for name in (pending or {}).get("fields", {}) if name in FIELDS],
        categories=[(slug, text(label)) for slug, label in CATEGORY_NAMES.items()],
        languages=[(code, text(name)) for code, name in LANGUAGE_NAMES.items()],
        days=[(day, text(name), *day_fields(day)) for day, name in DAY_NAMES.items()],
        holidays_field=HOLIDAYS_FIELD,
        week_form="opening_hours" not in shown,
    )


@router.get(EDIT)
async def edit_form(request: Request, business_id: UUID, runtime: RuntimeDep) -> Response:
    profile, pending = await _profile(runtime, str(business_id))
    return edit_page(request, profile, pending)


def changed_fields(profile: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value the office changed (JSON values, as stored)."""
    return {name: value for name, value in changes.items() if profile.get(name) != value}


@router.post(EDIT)
async def save(request: Request, business_id: UUID, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    form = await read_form(request, honeypot=False)  # the real field `website` has the honeypot's name
    profile, pending = await _profile(runtime, str(business_id))
    gettext = pages.gettext(chosen_language(request))
    data, errors = validate(OfficeEditForm, form, gettext)
    week, week_errors = (None, {}) if "opening_hours" in form else week_of_form(form, gettext)
    errors |= week_errors
    offer, offer_errors = offer_of_form(data, gettext) if data is not None else (None, {})
    errors |= offer_errors
    if data is None or errors:
        return edit_page(request, profile, pending, form=form, errors=errors, status_code=422)
    changes = changed_fields(profile, changes_of(data, week, offer))
    try:
        async with runtime.db.transaction() as session:
            await handlers.update_business(
                SqlStore(session), profile["id"], changes, now=utcnow(), settings=settings, by_office=True
            )
    except Invalid as exc:  # a rule of the whole profile (profile_checks), said at the field it names
        if exc.field not in RULES:
            raise
        shown = "mo_von" if exc.field == "opening_hours" and "opening_hours" not in form else exc.field
        errors = {shown: gettext(RULES[exc.field])}
        return edit_page(request, profile, pending, form=form, errors=errors, status_code=422)
    return see_other(f"{QUEUE}/{profile['id']}?erledigt=gespeichert")
