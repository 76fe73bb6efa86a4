"""The self-registration on the website (/verzeichnis/eintragen): six fields, a page to check the
answers (carried in hidden fields: no state on the server until the owner sends), then the done page.
Sending uses the sign-up use case (handlers.sign_up: the pending profile and the owner's mail with
the edit link), under the same per-client limit as the API's self-registration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.directory import handlers, owner_session
from services.directory.deps import SettingsDep
from services.directory.labels import CATEGORY_NAMES
from services.directory.owner_forms import SignUpForm
from services.directory.pages import pages
from services.directory.store import SqlStore
from shared.envelope import utcnow
from shared.errors import TooManyRequests
from shared.ratelimit import check_client
from shared.service import RuntimeDep
from shared.web import N_, chosen_language, read_form, see_other, validate

router = APIRouter()

SIGN_UP = "/verzeichnis/eintragen"
DONE = "/verzeichnis/eintragen/danke"
# The answers as the check page lists them, in the form's order.
QUESTIONS: dict[str, str] = {
    "name": N_("Name des Betriebs"),
    "category": N_("Art des Betriebs"),
    "street": N_("Straße und Hausnummer"),
    "postal_code": N_("Postleitzahl"),
    "city": N_("Ort"),
    "owner_email": N_("Ihre E-Mail-Adresse"),
}


def categories(request: Request) -> list[tuple[str, str]]:
    return [(slug, pages.text(request, label)) for slug, label in CATEGORY_NAMES.items()]


def form_page(request: Request, form: dict[str, str], errors: dict[str, str], status_code: int = 200) -> Response:
    return pages.render(
        request,
        "signup.html",
        status_code=status_code,
        form=form,
        errors=errors,
        questions=QUESTIONS,
        categories=categories(request),
    )


def check_page(request: Request, answers: SignUpForm, status_code: int = 200, **context: Any) -> Response:
    values = answers.model_dump()
    shown = values | {"category": pages.text(request, CATEGORY_NAMES[answers.category])}
    return pages.render(
        request,
        "signup_check.html",
        status_code=status_code,
        answers=[(name, pages.text(request, question), shown[name]) for name, question in QUESTIONS.items()],
        hidden=values,
        **context,
    )


@router.get(SIGN_UP)
async def sign_up_form(request: Request) -> Response:
    return form_page(request, {}, {})


@router.post(SIGN_UP)
async def check_answers(request: Request) -> Response:
    """Step one sent: the answers to check, or the form again with each problem at its field."""
    form = await read_form(request)
    answers, errors = validate(SignUpForm, form, pages.gettext(chosen_language(request)))
    if answers is None:
        return form_page(request, form, errors, status_code=422)
    return check_page(request, answers)


@router.post(SIGN_UP + "/absenden")
async def send_sign_up(request: Request, runtime: RuntimeDep, settings: SettingsDep) -> Response:
    """ "Ändern" goes back to the form with the answers in it; "Absenden" creates the pending profile,
    mails the edit link, and starts the owner's session in this browser (so the done page can lead
    straight on to the owner's page)."""
    form = await read_form(request)
    answers, errors = validate(SignUpForm, form, pages.gettext(chosen_language(request)))
    if "aendern" in form or answers is None:
        return form_page(request, form, errors, status_code=200 if "aendern" in form else 422)
    try:
        await check_client(request, settings.registration_rate)
    except TooManyRequests:
        return check_page(request, answers, status_code=429, too_many=True)
    async with runtime.db.transaction() as session:
        profile, _ = await handlers.sign_up(
            SqlStore(session), answers.profile_fields(chosen_language(request)), now=utcnow(), settings=settings
        )
    response = see_other(DONE)
    owner_session.start(response, settings, profile)
    return response


@router.get(DONE)
async def signed_up(request: Request) -> Response:
    return pages.render(request, "signup_done.html")
