"""The console's account pages: /verwaltung/konten (admin: list, create, change the role, delete)
and /verwaltung/zugangsschluessel (one's own API tokens for scripts: create, shown once; revoke)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from services.notifications import accounts_handlers as handlers
from services.notifications.accounts_store import AccountStore
from services.notifications.pages import pages
from shared.console.pages import ROLE_NAMES, console_operator
from shared.console.roles import ROLES, Operator, Role
from shared.envelope import utcnow
from shared.errors import DomainError
from shared.inputs import Email, Line
from shared.service import RuntimeDep
from shared.web.forms import read_form, see_other, validate
from shared.web.i18n import chosen_language

router = APIRouter()
Admin = Annotated[Operator, Depends(console_operator("accounts"))]
SignedIn = Annotated[Operator, Depends(console_operator(any_area=True))]


class AccountForm(BaseModel):
    name: Line = Field(min_length=1, max_length=200)
    email: Email
    role: Role
    password: str = Field(min_length=12, max_length=200)


class RoleForm(BaseModel):
    role: Role


class TokenForm(BaseModel):
    label: Line = Field(min_length=1, max_length=100)


def _roles(request: Request) -> list[tuple[str, str]]:
    return [(role, pages.text(request, ROLE_NAMES[role])) for role in ROLES]


async def _accounts_page(
    request: Request, runtime: Any, operator: Operator, status_code: int = 200, **context: Any
) -> HTMLResponse:
    async with runtime.db.reading() as session:
        accounts = await AccountStore(session).accounts()
    return pages.render(
        request,
        "console/accounts.html",
        status_code=status_code,
        accounts=accounts,
        roles=_roles(request),
        role_names={role: pages.text(request, ROLE_NAMES[role]) for role in ROLES},
        me=operator.account_id,
        **context,
    )


@router.get("/verwaltung/konten")
async def accounts(request: Request, runtime: RuntimeDep, operator: Admin) -> HTMLResponse:
    return await _accounts_page(request, runtime, operator, notice=request.query_params.get("hinweis", ""))


@router.post("/verwaltung/konten")
async def create_account(request: Request, runtime: RuntimeDep, operator: Admin) -> Response:
    form = await read_form(request)
    data, errors = validate(AccountForm, form, pages.gettext(chosen_language(request)))
    shown = {key: value for key, value in form.items() if key != "password"}
    if data is not None:
        password_hash = await handlers.hash_password(data.password)
        try:
            async with runtime.db.transaction() as session:
                await handlers.create_account(
                    AccountStore(session), data.name, data.email, data.role, password_hash, utcnow()
                )
        except DomainError as refused:
            errors = {refused.field or "email": pages.text(request, refused.message)}
    if errors:
        return await _accounts_page(request, runtime, operator, status_code=422, form=shown, errors=errors, notice="")
    return see_other("/verwaltung/konten?hinweis=angelegt")


@router.post("/verwaltung/konten/{account_id}/rolle")
async def change_role(account_id: str, request: Request, runtime: RuntimeDep, operator: Admin) -> Response:
    form = await read_form(request, honeypot=False)
    data, errors = validate(RoleForm, form, pages.gettext(chosen_language(request)))
    if data is not None:
        try:
            async with runtime.db.transaction() as session:
                changes = await handlers.change_role(AccountStore(session), account_id[:100], data.role, utcnow())
            await handlers.apply(request.app.state.credentials, changes)
        except DomainError as refused:
            errors = {"role": pages.text(request, refused.message)}
    if errors:
        return await _accounts_page(request, runtime, operator, status_code=409, errors=errors, notice="")
    return see_other("/verwaltung/konten?hinweis=rolle")


@router.post("/verwaltung/konten/{account_id}/loeschen")
async def delete_account(account_id: str, request: Request, runtime: RuntimeDep, operator: Admin) -> Response:
    await read_form(request, honeypot=False)
    try:
        async with runtime.db.transaction() as session:
            changes = await handlers.delete_account(AccountStore(session), account_id[:100], utcnow())
        await handlers.apply(request.app.state.credentials, changes)
    except DomainError as refused:
        errors = {"form": pages.text(request, refused.message)}
        return await _accounts_page(request, runtime, operator, status_code=409, errors=errors, notice="")
    return see_other("/verwaltung/konten?hinweis=geloescht")


async def _tokens_page(
    request: Request, runtime: Any, operator: Operator, status_code: int = 200, **context: Any
) -> HTMLResponse:
    async with runtime.db.reading() as session:
        tokens = await AccountStore(session).tokens_of(operator.account_id)
    context.setdefault("new_token", None)
    context.setdefault("notice", request.query_params.get("hinweis", ""))
    return pages.render(request, "console/tokens.html", status_code=status_code, tokens=tokens, **context)


@router.get("/verwaltung/zugangsschluessel")
async def tokens(request: Request, runtime: RuntimeDep, operator: SignedIn) -> HTMLResponse:
    return await _tokens_page(request, runtime, operator)


@router.post("/verwaltung/zugangsschluessel")
async def create_token(request: Request, runtime: RuntimeDep, operator: SignedIn) -> Response:
    """The answer shows the new token itself, once (not a redirect: it is stored nowhere to show again)."""
    form = await read_form(request)
    data, errors = validate(TokenForm, form, pages.gettext(chosen_language(request)))
    if errors or data is None:
        return await _tokens_page(request, runtime, operator, status_code=422, form=form, errors=errors)
    async with runtime.db.transaction() as session:
        token, changes = await handlers.create_token(AccountStore(session), operator.account_id, data.label, utcnow())
    await handlers.apply(request.app.state.credentials, changes)
    response = await _tokens_page(request, runtime, operator, new_token=token, notice="")
    response.headers["cache-control"] = "no-store"
    return response


@router.post("/verwaltung/zugangsschluessel/{token_id}/widerrufen")
async def revoke_token(token_id: str, request: Request, runtime: RuntimeDep, operator: SignedIn) -> Response:
    await read_form(request, honeypot=False)
    async with runtime.db.transaction() as session:
        changes = await handlers.revoke_token(AccountStore(session), operator.account_id, token_id[:100])
    await handlers.apply(request.app.state.credentials, changes)
    return see_other("/verwaltung/zugangsschluessel?hinweis=widerrufen")
