"""HTTP routes of business profiles: parse, authorise, call a handler, shape the answer."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, handlers, queries
from services.directory.config import DirectorySettings
from services.directory.ratelimit import SlidingWindowLimiter
from services.directory.schemas import (
    BusinessCreate,
    BusinessDetail,
    BusinessPage,
    BusinessPublic,
    BusinessRegistration,
    BusinessUpdate,
    CategoryPublic,
    CategorySlug,
    Status,
)
from shared.auth import OperatorDep, TokenDep, forbidden, is_operator, unauthorized
from shared.envelope import utcnow
from shared.errors import NotFound
from shared.service import ReadingDep, RuntimeDep, TransactionDep

router = APIRouter(tags=["directory"])

BusinessId = Annotated[str, Path(max_length=36, description="die Kennung des Eintrags / the profile's id")]
Access = Literal["operator", "owner"] | None


def get_settings(request: Request) -> DirectorySettings:
    return request.app.state.settings


SettingsDep = Annotated[DirectorySettings, Depends(get_settings)]


async def access(request: Request, session: AsyncSession, token: str | None, business_id: str) -> Access:
    """Who is asking: the office, this profile's owner, or the public (no token). A wrong token is 401,
    another profile's token 403."""
    if not token:
        return None
    if is_operator(request, token):
        return "operator"
    owner = await handlers.business_of_token(session, token)
    if owner is None:
        raise unauthorized("unbekannter Zugang / unknown edit token")
    if owner != business_id:
        raise forbidden("dieser Zugang gehört zu einem anderen Eintrag / this edit token belongs to another profile")
    return "owner"


def client_address(request: Request, settings: DirectorySettings) -> str:
    forwarded = request.headers.get("x-forwarded-for")
    if settings.trust_forwarded_for and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.client.host if request.client else "unknown"


def detail(profile: dict, settings: DirectorySettings, **extra) -> BusinessDetail:
    return BusinessDetail(**handlers.view(profile, utcnow(), settings), **extra)


@router.get("/categories", response_model=list[CategoryPublic], summary="Branchen / categories")
async def categories() -> list[dict]:
    return [{"slug": slug, "de": c.de, "en": c.en} for slug, c in domain.CATEGORIES.items()]


@router.post(
    "/businesses",
    status_code=status.HTTP_201_CREATED,
    response_model=BusinessRegistration,
    summary="Eintrag anlegen / register a business (public self-registration or the office); "
    "returns the edit token once",
    responses={429: {"description": "zu viele Anmeldungen / too many registrations"}},
)
async def register(
    body: BusinessCreate, request: Request, session: TransactionDep, token: TokenDep, settings: SettingsDep
) -> BusinessRegistration:
    operator = is_operator(request, token)
    if token and not operator:
        raise unauthorized("unbekannter Zugang / unknown operator token; register without a token")
    if not operator:
        limiter: SlidingWindowLimiter = request.app.state.registration_limiter
        wait = limiter.retry_after(client_address(request, settings))
        if wait:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "Zu viele Anmeldungen, bitte später erneut / too many registrations, try later",
                headers={"Retry-After": str(math.ceil(wait))},
            )
    profile, edit_token = await handlers.register_business(session, body, self_registered=not operator, now=utcnow())
    edit_url = settings.edit_url.format(id=profile["id"], token=edit_token)
    return BusinessRegistration(**handlers.view(profile, utcnow(), settings), edit_token=edit_token, edit_url=edit_url)


@router.get(
    "/businesses",
    response_model=BusinessPage,
    response_model_exclude_none=False,
    summary="Verzeichnis durchsuchen / search the directory (published profiles; the office sees all)",
)
async def list_businesses(
    request: Request,
    session: ReadingDep,
    runtime: RuntimeDep,
    token: TokenDep,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=200, description="Freitext / free text")] = None,
    category: CategorySlug | None = None,
    open_now: Annotated[bool, Query(description="nur jetzt geöffnete / open now (Europe/Berlin)")] = False,
    at: Annotated[
        AwareDatetime | None, Query(description="statt jetzt: geöffnet zu diesem Zeitpunkt / open at")
    ] = None,
    delivery: bool | None = None,
    pickup: bool | None = None,
    accepts_gutschein: bool | None = None,
    online_shop: bool | None = None,
    fairtrade: Annotated[
        bool | None, Query(description="bietet Fairtrade-Produkte / offers Fairtrade products")
    ] = None,
    status_filter: Annotated[
        Status | Literal["all"] | None, Query(alias="status", description="nur Büro / office")
    ] = None,
    stale: Annotated[bool | None, Query(description="nur Büro: veraltete Einträge / office: stale ones")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BusinessPage:
    operator = is_operator(request, token)
    if (status_filter not in (None, domain.PUBLISHED) or stale is not None) and not operator:
        raise unauthorized("Entwürfe und Status nur für das Büro / drafts and status filters need the operator token")
    now = utcnow()
    stale_before = domain.add_months(now, -settings.stale_after_months) if stale else None
    filters = queries.Filters(
        q=q,
        category=category,
        open_at=(at or now) if open_now else None,
        delivery=delivery,
        pickup=pickup,
        accepts_gutschein=accepts_gutschein,
        online_shop=online_shop,
        fairtrade=fairtrade,
        status=None if status_filter == "all" else (status_filter or domain.PUBLISHED),
        stale_before=stale_before,
    )
    profiles, total = await queries.search(
        session, filters, page=page, per_page=per_page, is_sqlite=runtime.db.is_sqlite
    )
    shape = BusinessDetail if operator else BusinessPublic
    items = [shape(**handlers.view(p, now, settings, open_at=at)) for p in profiles]
    return BusinessPage(items=items, total=total, page=page, per_page=per_page)


@router.get(
    "/businesses/{business_id}",
    response_model=BusinessDetail | BusinessPublic,
    summary="Ein Eintrag / one profile (drafts only for owner and office)",
)
async def get_business(
    business_id: BusinessId, request: Request, session: ReadingDep, token: TokenDep, settings: SettingsDep
) -> BusinessDetail | BusinessPublic:
    who = await access(request, session, token, business_id)
    profile = await handlers.get_business(session, business_id)
    if who:
        return detail(profile, settings)
    if profile["status"] != domain.PUBLISHED:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    return BusinessPublic(**handlers.view(profile, utcnow(), settings))


@router.get(
    "/businesses/{business_id}/jsonld",
    summary="schema.org LocalBusiness (JSON-LD) eines Eintrags",
    response_class=JSONResponse,
    responses={200: {"content": {"application/ld+json": {}}}},
)
async def business_json_ld(business_id: BusinessId, session: ReadingDep, settings: SettingsDep) -> JSONResponse:
    profile = await handlers.get_business(session, business_id)
    if profile["status"] != domain.PUBLISHED:
        raise NotFound("Eintrag nicht gefunden / business not found", field="business_id")
    document = domain.json_ld(profile, settings.public_url.format(id=business_id))
    return JSONResponse(document, media_type="application/ld+json")


@router.patch(
    "/businesses/{business_id}",
    response_model=BusinessDetail,
    summary="Eintrag ändern / edit (owner's edit token or the office); an empty edit confirms it",
)
async def update_business(
    business_id: BusinessId,
    body: BusinessUpdate,
    request: Request,
    session: TransactionDep,
    token: TokenDep,
    settings: SettingsDep,
) -> BusinessDetail:
    if await access(request, session, token, business_id) is None:
        raise unauthorized("Bearbeitungszugang nötig / edit token required")
    changes = body.model_dump(mode="json", exclude_unset=True)
    profile = await handlers.update_business(session, business_id, changes, now=utcnow(), settings=settings)
    return detail(profile, settings)


@router.delete(
    "/businesses/{business_id}",
    response_model=BusinessDetail,
    summary="Eintrag archivieren / archive (owner or office); it is then gone from the directory",
)
async def archive_business(
    business_id: BusinessId, request: Request, session: TransactionDep, token: TokenDep, settings: SettingsDep
) -> BusinessDetail:
    if await access(request, session, token, business_id) is None:
        raise unauthorized("Bearbeitungszugang nötig / edit token required")
    return detail(
        await handlers.change_status(session, business_id, domain.ARCHIVED, now=utcnow(), settings=settings), settings
    )


def _status_route(target: str, summary: str):
    async def route(
        business_id: BusinessId, session: TransactionDep, _: OperatorDep, settings: SettingsDep
    ) -> BusinessDetail:
        profile = await handlers.change_status(session, business_id, target, now=utcnow(), settings=settings)
        return detail(profile, settings)

    verb = {"published": "publish", "unpublished": "unpublish", "archived": "archive"}[target]
    route.__name__ = f"{verb}_business"
    router.add_api_route(
        f"/businesses/{{business_id}}/{verb}", route, methods=["POST"], response_model=BusinessDetail, summary=summary
    )


_status_route(domain.PUBLISHED, "Veröffentlichen / publish (office)")
_status_route(domain.UNPUBLISHED, "Zurückziehen / unpublish (office)")
_status_route(domain.ARCHIVED, "Archivieren / archive (office)")


@router.post(
    "/businesses/{business_id}/token",
    response_model=BusinessRegistration,
    summary="Neuer Bearbeitungszugang / new edit token (office), e.g. when the owner lost it",
)
async def rotate_token(
    business_id: BusinessId, session: TransactionDep, _: OperatorDep, settings: SettingsDep
) -> BusinessRegistration:
    profile, token = await handlers.rotate_token(session, business_id)
    return BusinessRegistration(
        **handlers.view(profile, utcnow(), settings),
        edit_token=token,
        edit_url=settings.edit_url.format(id=business_id, token=token),
    )
