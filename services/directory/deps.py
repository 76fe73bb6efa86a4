"""What the routes share: the settings, the store on the request's transaction, who is asking, the
self-registration limit and the shapes of a profile in answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, queries
from services.directory.config import DirectorySettings
from services.directory.schemas import BusinessDetail, BusinessRegistration
from services.directory.store import SqlStore
from shared.auth import TokenDep, check_credential, is_operator, refuse_other_roles
from shared.envelope import utcnow
from shared.errors import NotFound, Unauthenticated
from shared.ratelimit import check_client
from shared.service import TransactionDep

Access = Literal["operator", "owner"] | None


def get_settings(request: Request) -> DirectorySettings:
    settings: DirectorySettings = request.app.state.settings
    return settings


def get_store(session: TransactionDep) -> SqlStore:
    return SqlStore(session)


SettingsDep = Annotated[DirectorySettings, Depends(get_settings)]
StoreDep = Annotated[SqlStore, Depends(get_store)]


async def access(request: Request, session: AsyncSession, token: str | None, business_id: str) -> Access:
    """Who is asking: the office, this profile's owner, or the public (no token). A wrong token is 401,
    another profile's token 403."""
    if not token:
        return None
    if is_operator(request, token):
        return "operator"
    refuse_other_roles(request, token)  # an operator of another area: 403, not "unknown edit token"
    owner = await queries.owner_of_token(session, token)
    check_credential(token, owner, business_id, what="Bearbeitungszugang / edit token")
    return "owner"


async def require_access(
    request: Request, session: AsyncSession, token: str | None, business_id: str
) -> Literal["operator", "owner"]:
    """The owner or the office; nobody else may change a profile (or see what waits for review)."""
    who = await access(request, session, token, business_id)
    if who is None:  # no token at all
        raise Unauthenticated("Bearbeitungszugang / edit token required")
    return who


async def limit_self_registration(request: Request, token: TokenDep) -> None:
    """Anonymous self-registration: DIRECTORY_REGISTRATION_LIMIT per client and window, counted across
    all instances (shared/ratelimit/), before the route's transaction begins. A request with a token
    is the office's (or refused by the route): not counted."""
    if not token:
        await check_client(request, get_settings(request).registration_rate)


def detail(
    profile: dict[str, Any], settings: DirectorySettings, pending: dict[str, Any] | None = None
) -> BusinessDetail:
    return BusinessDetail(**queries.view(profile, utcnow(), settings), pending_change=pending)


async def detail_of(session: AsyncSession, profile: dict[str, Any], settings: DirectorySettings) -> BusinessDetail:
    """The owner's and office's view, with the change that waits for review (read in the same session)."""
    pending = await queries.pending_changes(session, [profile["id"]])
    return detail(profile, settings, pending.get(profile["id"]))


def published_or_404(profile: dict[str, Any] | None) -> dict[str, Any]:
    if profile is None or profile["status"] != domain.PUBLISHED:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    return profile


def registration(profile: dict[str, Any], token: str, settings: DirectorySettings) -> BusinessRegistration:
    edit_url = settings.edit_link(profile["id"], token)
    return BusinessRegistration(**queries.view(profile, utcnow(), settings), edit_token=token, edit_url=edit_url)
