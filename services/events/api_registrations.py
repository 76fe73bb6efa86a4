"""HTTP routes of a registration, reached with its own cancel token (or by the office): its state, the
cancel link's confirmation page, cancelling. Registering is POST /events/{id}/registrations (api.py)."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import handlers, queries
from services.events.domain import Registrant
from services.events.schemas import RegistrationPublic
from services.events.store import SqlStore
from shared.auth import OperatorDep, TokenDep
from shared.envelope import utcnow
from shared.inputs import LINE, Id
from shared.service import ReadingDep, TransactionDep

router = APIRouter(tags=["events"])
RegistrationId = Annotated[Id, Path(description="the registration's id")]
Token = Annotated[str, Field(max_length=200), LINE]


async def _view(session: AsyncSession, registration: Registrant) -> RegistrationPublic:
    return RegistrationPublic(**await queries.registration_view(session, registration))


@router.get("/registrations/{registration_id}", summary="A registration's state, with its own token")
async def get_registration(
    registration_id: RegistrationId,
    session: ReadingDep,
    token: TokenDep,
    token_query: Annotated[Token | None, Query(alias="token")] = None,
) -> RegistrationPublic:
    registration = await handlers.authorised_registration(SqlStore(session), registration_id, token or token_query)
    return await _view(session, registration)


CONFIRM_PAGE = """<!doctype html><html lang="de"><meta charset="utf-8"><title>Abmelden / Cancel</title>
<body><h1>Anmeldung stornieren?</h1><p lang="en">Cancel your registration?</p>
<form method="post" action="/registrations/{id}/cancel"><input type="hidden" name="token" value="{token}">
<button type="submit">Ja, stornieren / Yes, cancel</button></form></body></html>"""


@router.get(
    "/registrations/{registration_id}/cancel",
    response_class=HTMLResponse,
    summary="The cancel link: a page that asks before cancelling (mail scanners follow links)",
)
async def cancel_page(
    registration_id: RegistrationId, token: Annotated[Token, Query()], session: ReadingDep
) -> HTMLResponse:
    await handlers.authorised_registration(SqlStore(session), registration_id, token)
    return HTMLResponse(CONFIRM_PAGE.format(id=html.escape(registration_id), token=html.escape(token)))


@router.post(
    "/registrations/{registration_id}/cancel",
    summary="Cancel a registration with its own token (bearer, form field or query)",
)
async def cancel_registration(
    registration_id: RegistrationId, request: Request, session: TransactionDep, token: TokenDep
) -> RegistrationPublic:
    presented = token or request.query_params.get("token")
    if not presented and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs((await request.body()).decode(errors="replace"))
        presented = next(iter(form.get("token", [])), None)
    registration = await handlers.cancel_registration(SqlStore(session), registration_id, utcnow(), token=presented)
    return await _view(session, registration)


@router.delete("/registrations/{registration_id}", summary="Cancel a registration (operators)")
async def delete_registration(
    registration_id: RegistrationId, _: OperatorDep, session: TransactionDep
) -> RegistrationPublic:
    registration = await handlers.cancel_registration(SqlStore(session), registration_id, utcnow(), by_operator=True)
    return await _view(session, registration)
