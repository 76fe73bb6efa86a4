"""HTTP routes of turning up: the list at the door and check-in (operators), and the registrant's
reconfirmation with their own token. The pages for the same: pages_console*.py, pages_reconfirm.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.ext.asyncio import AsyncSession

from services.events import handlers, queries, queries_attendance
from services.events.api import EventId, SettingsDep
from services.events.api_registrations import Token
from services.events.domain import Registrant
from services.events.schemas import Attendance, CheckIn, RegistrationPublic
from services.events.store import SqlStore
from shared.auth import OperatorDep, TokenDep
from shared.envelope import utcnow
from shared.inputs import Id
from shared.service import ReadingDep, TransactionDep

router = APIRouter(tags=["events"])
RegistrationId = Annotated[Id, Path(description="the registration's id")]
TokenQuery = Annotated[Token | None, Query(alias="token")]


def _check_in_view(registrant: Registrant) -> CheckIn:
    return CheckIn(
        id=registrant.id,
        event_id=registrant.event_id,
        status=registrant.status,
        attended=registrant.attended_at is not None,
        attended_at=registrant.attended_at,
    )


@router.get("/events/{event_id}/attendance", summary="The list at the door: who is confirmed, who came (operators)")
async def attendance(event_id: EventId, _: OperatorDep, config: SettingsDep, session: ReadingDep) -> Attendance:
    return await queries_attendance.attendance(session, event_id, utcnow(), config.attendance_closes_after)


@router.post(
    "/registrations/{registration_id}/attendance",
    summary="Check a registrant in at the door (operators; from the event's day until the list closes)",
)
async def check_in(
    registration_id: RegistrationId, _: OperatorDep, config: SettingsDep, session: TransactionDep
) -> CheckIn:
    registrant = await handlers.check_in(SqlStore(session), registration_id, utcnow(), config.attendance_closes_after)
    return _check_in_view(registrant)


@router.delete("/registrations/{registration_id}/attendance", summary="Take a check-in back (operators)")
async def undo_check_in(
    registration_id: RegistrationId, _: OperatorDep, config: SettingsDep, session: TransactionDep
) -> CheckIn:
    registrant = await handlers.check_in(
        SqlStore(session), registration_id, utcnow(), config.attendance_closes_after, attended=False
    )
    return _check_in_view(registrant)


async def _view(session: AsyncSession, registration: Registrant) -> RegistrationPublic:
    return RegistrationPublic(**await queries.registration_view(session, registration))


@router.post(
    "/registrations/{registration_id}/reconfirm",
    summary="Confirm again that one comes, with the registration's own token (bearer or query)",
)
async def reconfirm(
    registration_id: RegistrationId,
    session: TransactionDep,
    token: TokenDep,
    token_query: TokenQuery = None,
) -> RegistrationPublic:
    registration = await handlers.reconfirm(SqlStore(session), registration_id, token or token_query, utcnow())
    return await _view(session, registration)
