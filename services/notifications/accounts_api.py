"""The accounts' JSON API (admin: area "accounts"): list, create, change the role, delete. The same
use cases as the console's pages (pages_console_accounts.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from services.notifications import accounts_handlers as handlers
from services.notifications.accounts_store import AccountStore
from shared.auth import require_area
from shared.console.roles import Operator, Role
from shared.envelope import utcnow
from shared.inputs import Email, Id, Line
from shared.service import ReadingDep, RuntimeDep

router = APIRouter(tags=["accounts"])
AdminDep = Annotated[Operator, Depends(require_area("accounts"))]
AccountId = Annotated[Id, Path(description="the account's id")]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[Line, Field(min_length=1, max_length=200)]
    email: Email
    role: Role
    password: Annotated[str, Field(min_length=12, max_length=200, description="at least 12 characters")]


class AccountChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


class Account(BaseModel):
    id: str
    name: str
    email: str
    role: Role
    created_at: datetime
    locked_until: datetime | None = None


@router.get("/accounts", response_model=list[Account], summary="Konten der Verwaltung (Verwaltung)")
async def list_accounts(_: AdminDep, session: ReadingDep) -> list[dict[str, Any]]:
    return [handlers.public(row) for row in await AccountStore(session).accounts()]


@router.post(
    "/accounts", response_model=Account, status_code=status.HTTP_201_CREATED, summary="Konto anlegen (Verwaltung)"
)
async def create_account(body: AccountCreate, _: AdminDep, runtime: RuntimeDep) -> dict[str, Any]:
    password_hash = await handlers.hash_password(body.password)
    async with runtime.db.transaction() as session:
        row = await handlers.create_account(
            AccountStore(session), body.name, body.email, body.role, password_hash, utcnow()
        )
    return handlers.public(row)


@router.patch("/accounts/{account_id}", response_model=Account, summary="Rolle eines Kontos ändern (Verwaltung)")
async def change_account(
    account_id: AccountId, body: AccountChange, request: Request, _: AdminDep, runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.db.transaction() as session:
        store = AccountStore(session)
        changes = await handlers.change_role(store, account_id, body.role, utcnow())
        account = await store.account(account_id)
    # after the commit: the index follows the tables, never the other way round
    await handlers.apply(request.app.state.credentials, changes)
    return handlers.public(account or {})


@router.delete(
    "/accounts/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Konto löschen; seine Sitzungen und Zugangsschlüssel enden sofort (Verwaltung)",
)
async def delete_account(account_id: AccountId, request: Request, _: AdminDep, runtime: RuntimeDep) -> None:
    async with runtime.db.transaction() as session:
        changes = await handlers.delete_account(AccountStore(session), account_id, utcnow())
    await handlers.apply(request.app.state.credentials, changes)
