"""HTTP routes of business profiles: parse, authorise, call a use case or a query, shape the answer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import Field

from services.directory import domain, handlers, queries
from services.directory.deps import (
    SettingsDep,
    StoreDep,
    access,
    detail_of,
    limit_self_registration,
    published_or_404,
    registration,
    require_access,
)
from services.directory.jsonld import json_ld
from services.directory.profile_checks import add_months
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
from shared.auth import OperatorDep, TokenDep, is_operator, refuse_other_roles
from shared.envelope import utcnow
from shared.errors import Unauthenticated
from shared.inputs import LINE, AwareInstant, Page
from shared.service import ReadingDep, RuntimeDep

router = APIRouter(tags=["directory"])

BusinessId = Annotated[str, Path(max_length=36, description="die Kennung des Eintrags / the profile's id")]
SearchText = Annotated[str, Field(max_length=200), LINE]


@router.get("/categories", response_model=list[CategoryPublic], summary="Branchen / categories")
async def categories() -> list[dict[str, str]]:
    return [{"slug": slug, "de": c.de, "en": c.en} for slug, c in domain.CATEGORIES.items()]


@router.post(
    "/businesses",
    status_code=status.HTTP_201_CREATED,
    response_model=BusinessRegistration,
    summary="Eintrag anlegen / register a business (public self-registration or the office); "
    "returns the edit token once",
    responses={429: {"description": "zu viele Anmeldungen / too many registrations"}},
    dependencies=[Depends(limit_self_registration)],
)
async def register(
    body: BusinessCreate, request: Request, store: StoreDep, token: TokenDep, settings: SettingsDep
) -> BusinessRegistration:
    refuse_other_roles(request, token)
    operator = is_operator(request, token)
    if token and not operator:
        raise Unauthenticated("unbekannter Zugang / unknown operator token; register without a token")
    fields = body.model_dump(mode="json")
    profile, edit_token = await handlers.register_business(store, fields, self_registered=not operator, now=utcnow())
    return registration(profile, edit_token, settings)


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
    q: Annotated[
        SearchText | None,
        Query(
            description="Freitext; bis 200 Treffer nach Relevanz (SQLite: nach Name), mehr: die zuletzt aufgenommenen "
            "zuerst (für das Büro nach Name) / free text; up to 200 matches by relevance (SQLite: by name), more: "
            "newest in the directory first (for the office by name)"
        ),
    ] = None,
    category: CategorySlug | None = None,
    open_now: Annotated[bool, Query(description="nur jetzt geöffnete / open now (Europe/Berlin)")] = False,
    at: Annotated[AwareInstant | None, Query(description="statt jetzt: geöffnet zu diesem Zeitpunkt / open at")] = None,
    delivery: bool | None = None,
    pickup: bool | None = None,
    accepts_gutschein: bool | None = None,
    sells_gutschein: bool | None = None,
    online_shop: bool | None = None,
    fairtrade: Annotated[
        bool | None, Query(description="bietet Fairtrade-Produkte / offers Fairtrade products")
    ] = None,
    status_filter: Annotated[
        Status | Literal["all"] | None, Query(alias="status", description="nur Büro / office")
    ] = None,
    stale: Annotated[bool | None, Query(description="nur Büro: veraltete Einträge / office: stale ones")] = None,
    page: Annotated[Page, Query()] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> BusinessPage:
    refuse_other_roles(request, token)
    operator = is_operator(request, token)
    if (status_filter not in (None, domain.PUBLISHED) or stale is not None) and not operator:
        message = "Entwürfe und Status nur für das Büro / drafts and status filters need the operator token"
        raise Unauthenticated(message)
    now = utcnow()
    stale_before = add_months(now, -settings.stale_after_months) if stale else None
    filters = queries.Filters(
        q=q,
        category=category,
        open_at=(at or now) if open_now else None,
        delivery=delivery,
        pickup=pickup,
        accepts_gutschein=accepts_gutschein,
        sells_gutschein=sells_gutschein,
        online_shop=online_shop,
        fairtrade=fairtrade,
        status=None if status_filter == "all" else (status_filter or domain.PUBLISHED),
        stale_before=stale_before,
    )
    # The office counts exactly; the public up to queries.SEARCH_COUNT_CAP ("more than" past it)
    found = await queries.search(
        session, filters, page=page, per_page=per_page, is_sqlite=runtime.db.is_sqlite, exact_count=operator
    )
    items: list[BusinessDetail | BusinessPublic]
    if operator:
        pending = await queries.pending_changes(session, [p["id"] for p in found.rows])
        views = [queries.view(p, now, settings, open_at=at) for p in found.rows]
        items = [BusinessDetail(**v, pending_change=pending.get(v["id"])) for v in views]
    else:
        items = [BusinessPublic(**queries.view(p, now, settings, open_at=at)) for p in found.rows]
    return BusinessPage(items=items, total=found.total, total_exact=found.exact, page=page, per_page=per_page)


@router.get(
    "/businesses/{business_id}",
    response_model=BusinessDetail | BusinessPublic,
    summary="Ein Eintrag / one profile (drafts only for owner and office)",
)
async def get_business(
    business_id: BusinessId, request: Request, session: ReadingDep, token: TokenDep, settings: SettingsDep
) -> BusinessDetail | BusinessPublic:
    who = await access(request, session, token, business_id)
    profile = await queries.profile(session, business_id)
    if who and profile is not None:
        return await detail_of(session, profile, settings)
    return BusinessPublic(**queries.view(published_or_404(profile), utcnow(), settings))


@router.get(
    "/businesses/{business_id}/jsonld",
    summary="schema.org LocalBusiness (JSON-LD) eines Eintrags",
    response_class=JSONResponse,
    responses={200: {"content": {"application/ld+json": {}}}},
)
async def business_json_ld(business_id: BusinessId, session: ReadingDep, settings: SettingsDep) -> JSONResponse:
    profile = published_or_404(await queries.profile(session, business_id))
    document = json_ld(profile, settings.profile_link(business_id))
    return JSONResponse(document, media_type="application/ld+json")


@router.patch(
    "/businesses/{business_id}",
    response_model=BusinessDetail,
    summary="Eintrag ändern / edit (owner's edit token or the office); an empty edit confirms it. "
    "On a published profile an owner's free text and links wait for the office (pending_change)",
)
async def update_business(
    business_id: BusinessId,
    body: BusinessUpdate,
    request: Request,
    store: StoreDep,
    token: TokenDep,
    settings: SettingsDep,
) -> BusinessDetail:
    who = await require_access(request, store.session, token, business_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    profile = await handlers.update_business(
        store, business_id, changes, now=utcnow(), settings=settings, by_office=who == "operator"
    )
    return await detail_of(store.session, profile, settings)


@router.delete(
    "/businesses/{business_id}",
    response_model=BusinessDetail,
    summary="Eintrag archivieren / archive (owner or office); it is then gone from the directory",
)
async def archive_business(
    business_id: BusinessId, request: Request, store: StoreDep, token: TokenDep, settings: SettingsDep
) -> BusinessDetail:
    await require_access(request, store.session, token, business_id)
    profile = await handlers.change_status(store, business_id, domain.ARCHIVED, now=utcnow(), settings=settings)
    return await detail_of(store.session, profile, settings)


def _status_route(target: str, summary: str) -> None:
    async def route(business_id: BusinessId, store: StoreDep, _: OperatorDep, settings: SettingsDep) -> BusinessDetail:
        profile = await handlers.change_status(store, business_id, target, now=utcnow(), settings=settings)
        return await detail_of(store.session, profile, settings)

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
    business_id: BusinessId, store: StoreDep, _: OperatorDep, settings: SettingsDep
) -> BusinessRegistration:
    profile, token = await handlers.rotate_token(store, business_id)
    return registration(profile, token, settings)
