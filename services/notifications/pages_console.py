"""The console's front: the start page /verwaltung (the areas one's role may use), the login and
logout, and the password reset by mail. Accounts and API tokens: pages_console_accounts.py.

The session cookie `hallobot_verwaltung` holds the opaque session secret signed under
HALLOBOT_SITE_SECRET: HttpOnly, SameSite=Strict, Path=/verwaltung, Secure in production."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from services.notifications import accounts_domain as rules
from services.notifications import accounts_handlers as handlers
from services.notifications import accounts_reset as reset
from services.notifications.accounts_store import AccountStore
from services.notifications.pages import pages
from shared.console import access
from shared.console.pages import AREA_NAMES, AREA_PATHS, console_operator, role_name
from shared.console.roles import AREAS, Operator
from shared.envelope import utcnow
from shared.errors import NotFound, TooManyRequests
from shared.inputs import Email
from shared.ratelimit import check_client
from shared.service import RuntimeDep
from shared.web.forms import read_form, see_other, validate
from shared.web.i18n import N_, chosen_language

router = APIRouter()
SignedIn = Annotated[Operator, Depends(console_operator(any_area=True))]
REPEAT = N_("Die beiden Passwörter sind nicht gleich.")


class LoginForm(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=200)


class ForgotForm(BaseModel):
    email: Email


class NewPasswordForm(BaseModel):
    password: str = Field(min_length=12, max_length=200)
    repeat: str = Field(min_length=1, max_length=200)


def session_secret(request: Request) -> str | None:
    return access.session_secret(request.app.state.settings, request.cookies.get(access.SESSION_COOKIE))


@router.get("/verwaltung")
async def start(request: Request, runtime: RuntimeDep, operator: SignedIn) -> HTMLResponse:
    secret = session_secret(request)
    if secret:  # the idle time starts again (other services only read the index)
        async with runtime.db.transaction() as session:
            changes = await handlers.touch_session(AccountStore(session), request.app.state.settings, secret, utcnow())
        await handlers.apply(request.app.state.credentials, changes)
    async with runtime.db.reading() as session:
        account = await AccountStore(session).account(operator.account_id)
    areas = [(AREA_PATHS[area], pages.text(request, AREA_NAMES[area])) for area in AREAS if operator.may(area)]
    return pages.render(
        request,
        "console/start.html",
        name=account["name"] if account else "",
        role=role_name(request, operator.role),
        areas=areas,
    )


def _login_page(request: Request, *, status_code: int = 200, **context: object) -> HTMLResponse:
    nxt = access.local_path(str(context.pop("weiter", None) or request.query_params.get("weiter") or ""))
    return pages.render(request, "console/login.html", status_code=status_code, weiter=nxt, **context)


@router.get("/verwaltung/anmelden")
async def login_page(request: Request) -> HTMLResponse:
    return _login_page(request, notice=request.query_params.get("hinweis", ""))


@router.post("/verwaltung/anmelden")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    settings = request.app.state.settings
    weiter = form.get("weiter", "")
    data, errors = validate(LoginForm, form, pages.gettext(chosen_language(request)))
    shown = {"email": form.get("email", "")}  # never the password
    if errors or data is None:
        return _login_page(request, status_code=422, form=shown, errors=errors, weiter=weiter, notice="")
    await check_client(request, settings.login_rate)
    try:
        async with runtime.db.transaction() as session:
            account = await handlers.count_attempt(AccountStore(session), settings, data.email, utcnow())
    except TooManyRequests as refused:
        errors = {"email": pages.text(request, refused.message)}
        response = _login_page(request, status_code=429, form=shown, errors=errors, weiter=weiter, notice="")
        response.headers["retry-after"] = str(max(1, round(refused.retry_after_s)))
        return response
    if account is None or not await handlers.password_matches(account, data.password):
        errors = {"email": pages.text(request, rules.WRONG_LOGIN)}
        return _login_page(request, status_code=401, form=shown, errors=errors, weiter=weiter, notice="")
    async with runtime.db.transaction() as session:
        secret, changes = await handlers.open_session(AccountStore(session), settings, account["id"], utcnow())
    await handlers.apply(request.app.state.credentials, changes)
    redirect = see_other(access.local_path(weiter))
    redirect.set_cookie(
        access.SESSION_COOKIE,
        access.sign_session(settings, secret),
        max_age=round(settings.session_max_s),
        path=access.CONSOLE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
    )
    return redirect


@router.post("/verwaltung/abmelden")
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    await read_form(request, honeypot=False)
    if secret := session_secret(request):
        async with runtime.db.transaction() as session:
            changes = await handlers.logout(AccountStore(session), secret)
        await handlers.apply(request.app.state.credentials, changes)
    response = see_other(f"{access.LOGIN_PATH}?hinweis=abgemeldet")
    response.delete_cookie(access.SESSION_COOKIE, path=access.CONSOLE_PATH, httponly=True, samesite="strict")
    return response


@router.get("/verwaltung/passwort-vergessen")
async def forgot_page(request: Request) -> HTMLResponse:
    sent = request.query_params.get("gesendet") == "1"
    return pages.render(request, "console/forgot.html", sent=sent)


@router.post("/verwaltung/passwort-vergessen")
async def forgot(request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    data, errors = validate(ForgotForm, form, pages.gettext(chosen_language(request)))
    if errors or data is None:
        return pages.render(request, "console/forgot.html", status_code=422, sent=False, form=form, errors=errors)
    settings = request.app.state.settings
    await check_client(request, settings.reset_rate)
    async with runtime.db.transaction() as session:
        await reset.request_reset(AccountStore(session), settings, data.email, chosen_language(request), utcnow())
        request.app.state.wake.after_commit(session)
    return see_other("/verwaltung/passwort-vergessen?gesendet=1")  # alike whether the address is known


@router.get("/verwaltung/passwort-neu")
async def new_password_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    token = request.query_params.get("token", "")[:200]
    async with runtime.db.reading() as session:
        await reset.valid_reset(AccountStore(session), token, utcnow())  # 404 page when not
    return pages.render(request, "console/new_password.html", token=token)


@router.post("/verwaltung/passwort-neu")
async def new_password(request: Request, runtime: RuntimeDep) -> Response:
    form = await read_form(request)
    token = form.get("token", "")[:200]
    data, errors = validate(NewPasswordForm, form, pages.gettext(chosen_language(request)))
    if "password" in errors:
        errors["password"] = pages.text(request, N_("Das Passwort muss mindestens 12 Zeichen lang sein."))
    if data is not None and data.password != data.repeat:
        errors["repeat"] = pages.text(request, REPEAT)
    if errors or data is None:
        return pages.render(request, "console/new_password.html", status_code=422, token=token, errors=errors)
    password_hash = await handlers.hash_password(data.password)
    try:
        async with runtime.db.transaction() as session:
            changes = await reset.reset_password(AccountStore(session), token, password_hash, utcnow())
    except NotFound:
        return pages.render(request, "console/forgot.html", status_code=404, sent=False, expired=True)
    await handlers.apply(request.app.state.credentials, changes)
    return see_other(f"{access.LOGIN_PATH}?hinweis=passwort")
