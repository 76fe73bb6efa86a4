"""HTTP routes of the review: what waits for the office (owner and office) and its decisions (office).

An owner's edit of a published profile puts its free text and links into a proposed change
(domain_review.py); the office lists the waiting ones, approves (the fields go live, public events
follow) or rejects them with a note for the owner (nothing public changes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from services.directory import handlers, queries
from services.directory.deps import SettingsDep, StoreDep, require_access
from services.directory.schemas import ChangePage, ChangeStatus, ProposedChange, Rejection
from shared.auth import OperatorDep, TokenDep
from shared.envelope import utcnow
from shared.errors import NotFound
from shared.service import ReadingDep

router = APIRouter(tags=["review"])

BusinessId = Annotated[str, Path(max_length=36, description="die Kennung des Eintrags / the profile's id")]
ChangeId = Annotated[str, Path(max_length=36, description="die Kennung der Änderung / the change's id")]


@router.get(
    "/businesses/{business_id}/changes",
    response_model=list[ProposedChange],
    summary="Vorgeschlagene Änderungen eines Eintrags / a profile's proposed changes, newest first (owner and office)",
)
async def changes_of(
    business_id: BusinessId, request: Request, session: ReadingDep, token: TokenDep
) -> list[dict[str, Any]]:
    await require_access(request, session, token, business_id)
    if await queries.profile(session, business_id) is None:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    return await queries.changes_of(session, business_id)


@router.get(
    "/changes",
    response_model=ChangePage,
    summary="Änderungen zur Prüfung / proposed changes, the longest waiting first (office)",
)
async def review_queue(
    session: ReadingDep,
    _: OperatorDep,
    status: ChangeStatus = "pending",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ChangePage:
    items, total = await queries.review_queue(session, status=status, page=page, per_page=per_page)
    return ChangePage(items=[ProposedChange(**item) for item in items], total=total, page=page, per_page=per_page)


@router.post(
    "/changes/{change_id}/approve",
    response_model=ProposedChange,
    summary="Änderung freigeben / approve (office): the fields go live, public events follow",
)
async def approve_change(change_id: ChangeId, store: StoreDep, _: OperatorDep, settings: SettingsDep) -> ProposedChange:
    decided, profile = await handlers.approve_change(store, change_id, now=utcnow(), settings=settings)
    return ProposedChange(**decided, business_name=profile["name"])


@router.post(
    "/changes/{change_id}/reject",
    response_model=ProposedChange,
    summary="Änderung ablehnen / reject with a note for the owner (office); nothing public changes",
)
async def reject_change(change_id: ChangeId, body: Rejection, store: StoreDep, _: OperatorDep) -> ProposedChange:
    decided, profile = await handlers.reject_change(store, change_id, body.note, now=utcnow())
    return ProposedChange(**decided, business_name=profile["name"])
