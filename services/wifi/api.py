"""HTTP routes of the wifi service: parse, authorise, call a handler, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import Response

from services.wifi import handlers, queries
from services.wifi.config import WifiSettings
from services.wifi.handlers_reports import WrongCredential, record_report
from services.wifi.ports import ReportOutcome
from services.wifi.schemas import (
    MONTH,
    HostToken,
    HotspotCreate,
    HotspotCreated,
    HotspotDetail,
    HotspotPublic,
    HotspotUpdate,
    IncidentPublic,
    MaintenanceCreate,
    MaintenancePublic,
    MonthUptime,
    ReportAccepted,
    ReportIn,
)
from services.wifi.store import SqlWifiStore
from shared.auth import BEARER_SECURITY, OperatorDep, TokenDep, bearer_token, check_credential, is_operator
from shared.envelope import utcnow
from shared.errors import NotFound, Unauthenticated
from shared.service import ReadingDep, TransactionDep
from shared.spreadsheet import csv_response

router = APIRouter(tags=["wifi"])

HotspotId = Annotated[str, Path(max_length=36, description="the hotspot's id")]
WindowId = Annotated[str, Path(max_length=36, description="the maintenance window's id")]
Month = Annotated[str, Path(pattern=MONTH, description="a calendar month, e.g. 2025-03 (Europe/Berlin)")]


async def get_settings(request: Request) -> WifiSettings:
    """Async: a plain function would be run in a worker thread, a thread hand-over per request."""
    settings: WifiSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[WifiSettings, Depends(get_settings)]


@router.post(
    "/hotspots",
    status_code=status.HTTP_201_CREATED,
    response_model=HotspotCreated,
    summary="Hotspot anlegen / register a hotspot (operator); returns the host credential once",
)
async def create_hotspot(body: HotspotCreate, session: TransactionDep, _: OperatorDep) -> dict[str, Any]:
    hotspot_id, token = await handlers.create_hotspot(SqlWifiStore(session), body.model_dump(), utcnow())
    return {**await queries.get_hotspot(session, hotspot_id), "host_token": token}


def _view(request: Request, token: str | None) -> type[HotspotPublic]:
    """The operator sees the access point's serial and MAC address; everyone else does not."""
    return HotspotDetail if is_operator(request, token) else HotspotPublic


@router.get(
    "/hotspots",
    response_model=list[HotspotDetail] | list[HotspotPublic],
    summary="Alle Hotspots / all hotspots (serial and MAC address for the operator only)",
)
async def list_hotspots(request: Request, session: ReadingDep, token: TokenDep) -> list[HotspotPublic]:
    view = _view(request, token)
    return [view.model_validate(row) for row in await queries.list_hotspots(session)]


@router.get(
    "/hotspots/{hotspot_id}",
    response_model=HotspotDetail | HotspotPublic,
    summary="Ein Hotspot / one hotspot (serial and MAC address for the operator only)",
)
async def get_hotspot(hotspot_id: HotspotId, request: Request, session: ReadingDep, token: TokenDep) -> HotspotPublic:
    return _view(request, token).model_validate(await queries.get_hotspot(session, hotspot_id))


@router.patch("/hotspots/{hotspot_id}", response_model=HotspotDetail, summary="Hotspot ändern / update (operator)")
async def update_hotspot(
    hotspot_id: HotspotId, body: HotspotUpdate, session: TransactionDep, _: OperatorDep
) -> dict[str, Any]:
    await handlers.update_hotspot(SqlWifiStore(session), hotspot_id, body.model_dump(exclude_unset=True))
    return await queries.get_hotspot(session, hotspot_id)


@router.post(
    "/hotspots/{hotspot_id}/token",
    response_model=HostToken,
    summary="Host-Zugang erneuern / rotate the host credential (operator); the old one stops working",
)
async def rotate_token(hotspot_id: HotspotId, session: TransactionDep, _: OperatorDep) -> dict[str, Any]:
    return {"hotspot_id": hotspot_id, "host_token": await handlers.rotate_token(SqlWifiStore(session), hotspot_id)}


@router.post(
    "/hotspots/{hotspot_id}/reports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReportAccepted,
    summary="Statusmeldung / status report (the hotspot's host credential)",
    responses={429: {"description": "mehr Meldungen als WIFI_REPORT_LIMIT / more reports than the hotspot's limit"}},
    openapi_extra=BEARER_SECURITY,
)
async def post_report(hotspot_id: HotspotId, body: ReportIn, request: Request) -> ReportOutcome:
    # The hottest route (bench/report_cpu.py): the token is read and the transaction opened here
    # rather than through TokenDep and TransactionDep, and the settings are read from the app (each
    # dependency FastAPI solves costs); the outcome is answered as it is, validated once against
    # `response_model`.
    token = await bearer_token(request)
    if not token:
        raise Unauthenticated("host credential required")
    settings = request.app.state.settings
    async with request.app.state.runtime.db.transaction() as session:
        try:
            # The credential is compared with the digest read with the hotspot's state: one statement;
            # WIFI_REPORT_LIMIT is counted in the same row.
            outcome = await record_report(
                SqlWifiStore(session),
                hotspot_id,
                body,
                now=utcnow(),
                settings=settings,
                token=token,
                limit=settings.report_rate,
            )
        except (WrongCredential, NotFound):
            # Refused: whose credential it is decides the answer, as for every credential (shared/auth.py):
            # 401 when nobody's, 403 when another hotspot's.
            check_credential(token, await queries.hotspot_of_token(session, token), hotspot_id, what="host credential")
            raise
    return outcome


@router.post(
    "/hotspots/{hotspot_id}/maintenance",
    status_code=status.HTTP_201_CREATED,
    response_model=MaintenancePublic,
    summary="Wartungsfenster / maintenance window (operator)",
)
async def add_maintenance(
    hotspot_id: HotspotId, body: MaintenanceCreate, session: TransactionDep, _: OperatorDep, settings: SettingsDep
) -> dict[str, Any]:
    store, (starts_at, ends_at, note) = SqlWifiStore(session), (body.starts_at, body.ends_at, body.note)
    return await handlers.add_maintenance(store, hotspot_id, starts_at, ends_at, note, now=utcnow(), settings=settings)


@router.delete(
    "/hotspots/{hotspot_id}/maintenance/{window_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Wartung absagen / cancel a window to come or end a running one now (operator)",
    responses={409: {"description": "das Fenster ist vorbei / the window is over"}},
)
async def cancel_maintenance(
    hotspot_id: HotspotId, window_id: WindowId, session: TransactionDep, _: OperatorDep, settings: SettingsDep
) -> None:
    await handlers.cancel_maintenance(SqlWifiStore(session), hotspot_id, window_id, now=utcnow(), settings=settings)


@router.get(
    "/hotspots/{hotspot_id}/maintenance",
    response_model=list[MaintenancePublic],
    summary="Wartungsfenster eines Hotspots / maintenance windows of a hotspot",
)
async def list_maintenance(hotspot_id: HotspotId, session: ReadingDep) -> list[dict[str, Any]]:
    return await queries.list_maintenance(session, hotspot_id)


@router.get(
    "/hotspots/{hotspot_id}/uptime/{month}.csv",
    response_class=Response,
    summary="Verfügbarkeit pro Tag als CSV / uptime per day as CSV",
)
async def hotspot_uptime_csv(hotspot_id: HotspotId, month: Month, session: ReadingDep) -> Response:
    return _csv([await queries.month_uptime(session, hotspot_id, month, now=utcnow())], month)


@router.get(
    "/hotspots/{hotspot_id}/uptime/{month}",
    response_model=MonthUptime,
    summary="Verfügbarkeit pro Tag und Monat / uptime per day and month",
)
async def hotspot_uptime(hotspot_id: HotspotId, month: Month, session: ReadingDep) -> dict[str, Any]:
    return await queries.month_uptime(session, hotspot_id, month, now=utcnow())


@router.get("/uptime/{month}.csv", response_class=Response, summary="Verfügbarkeit aller Hotspots als CSV")
async def uptime_csv(month: Month, session: ReadingDep) -> Response:
    return _csv(await queries.all_month_uptime(session, month, now=utcnow()), month)


@router.get(
    "/uptime/{month}",
    response_model=list[MonthUptime],
    summary="Verfügbarkeit aller Hotspots / uptime of every hotspot in a month",
)
async def uptime(month: Month, session: ReadingDep) -> list[dict[str, Any]]:
    return await queries.all_month_uptime(session, month, now=utcnow())


@router.get(
    "/incidents",
    response_model=list[IncidentPublic],
    summary="Störungen aller Standorte / incidents where all sites went silent",
)
async def list_incidents(session: ReadingDep) -> list[dict[str, Any]]:
    return await queries.list_incidents(session)


def _csv(months: list[dict[str, Any]], month: str) -> Response:
    rows = queries.uptime_rows(months, month)
    return csv_response(queries.CSV_COLUMNS, rows, f"wifi-uptime-{month}.csv")
