"""HTTP routes of the wifi service: parse, authorise, call a handler, shape the answer."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import Response

from services.wifi import handlers
from services.wifi.handlers import Tuning
from services.wifi.schemas import (
    MONTH,
    HostToken,
    HotspotCreate,
    HotspotCreated,
    HotspotPublic,
    HotspotUpdate,
    IncidentPublic,
    MaintenanceCreate,
    MaintenancePublic,
    MonthUptime,
    ReportAccepted,
    ReportIn,
)
from shared.auth import OperatorDep, TokenDep, forbidden, unauthorized
from shared.envelope import utcnow
from shared.service import ReadingDep, TransactionDep

router = APIRouter(tags=["wifi"])

HotspotId = Annotated[str, Path(max_length=36, description="the hotspot's id")]
Month = Annotated[str, Path(pattern=MONTH, description="a calendar month, e.g. 2025-03 (Europe/Berlin)")]


def get_tuning(request: Request) -> Tuning:
    return request.app.state.tuning


TuningDep = Annotated[Tuning, Depends(get_tuning)]


@router.post(
    "/hotspots",
    status_code=status.HTTP_201_CREATED,
    response_model=HotspotCreated,
    summary="Hotspot anlegen / register a hotspot (operator); returns the host credential once",
)
async def create_hotspot(body: HotspotCreate, session: TransactionDep, _: OperatorDep) -> dict:
    hotspot, token = await handlers.create_hotspot(session, body, utcnow())
    return {**hotspot, "host_token": token}


@router.get("/hotspots", response_model=list[HotspotPublic], summary="Alle Hotspots / all hotspots")
async def list_hotspots(session: ReadingDep) -> list[dict]:
    return await handlers.list_hotspots(session)


@router.get("/hotspots/{hotspot_id}", response_model=HotspotPublic, summary="Ein Hotspot / one hotspot")
async def get_hotspot(hotspot_id: HotspotId, session: ReadingDep) -> dict:
    return await handlers.get_hotspot(session, hotspot_id)


@router.patch("/hotspots/{hotspot_id}", response_model=HotspotPublic, summary="Hotspot ändern / update (operator)")
async def update_hotspot(hotspot_id: HotspotId, body: HotspotUpdate, session: TransactionDep, _: OperatorDep) -> dict:
    return await handlers.update_hotspot(session, hotspot_id, body)


@router.post(
    "/hotspots/{hotspot_id}/token",
    response_model=HostToken,
    summary="Host-Zugang erneuern / rotate the host credential (operator); the old one stops working",
)
async def rotate_token(hotspot_id: HotspotId, session: TransactionDep, _: OperatorDep) -> dict:
    return {"hotspot_id": hotspot_id, "host_token": await handlers.rotate_token(session, hotspot_id)}


@router.post(
    "/hotspots/{hotspot_id}/reports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReportAccepted,
    summary="Statusmeldung / status report (the hotspot's host credential)",
)
async def post_report(
    hotspot_id: HotspotId, body: ReportIn, session: TransactionDep, token: TokenDep, tuning: TuningDep
) -> ReportAccepted:
    if not token:
        raise unauthorized("host credential required")
    owner = await handlers.hotspot_of_token(session, token)
    if owner is None:
        raise unauthorized("unknown host credential")
    if owner != hotspot_id:
        raise forbidden("this host credential belongs to another hotspot")
    return await handlers.record_report(session, hotspot_id, body, now=utcnow(), tuning=tuning)


@router.post(
    "/hotspots/{hotspot_id}/maintenance",
    status_code=status.HTTP_201_CREATED,
    response_model=MaintenancePublic,
    summary="Wartungsfenster / maintenance window (operator)",
)
async def add_maintenance(
    hotspot_id: HotspotId, body: MaintenanceCreate, session: TransactionDep, _: OperatorDep, tuning: TuningDep
) -> dict:
    return await handlers.add_maintenance(session, hotspot_id, body, now=utcnow(), tuning=tuning)


@router.get(
    "/hotspots/{hotspot_id}/maintenance",
    response_model=list[MaintenancePublic],
    summary="Wartungsfenster eines Hotspots / maintenance windows of a hotspot",
)
async def list_maintenance(hotspot_id: HotspotId, session: ReadingDep) -> list[dict]:
    return await handlers.list_maintenance(session, hotspot_id)


@router.get(
    "/hotspots/{hotspot_id}/uptime/{month}.csv",
    response_class=Response,
    summary="Verfügbarkeit pro Tag als CSV / uptime per day as CSV",
)
async def hotspot_uptime_csv(hotspot_id: HotspotId, month: Month, session: ReadingDep) -> Response:
    return _csv([await handlers.month_uptime(session, hotspot_id, month, now=utcnow())], month)


@router.get(
    "/hotspots/{hotspot_id}/uptime/{month}",
    response_model=MonthUptime,
    summary="Verfügbarkeit pro Tag und Monat / uptime per day and month",
)
async def hotspot_uptime(hotspot_id: HotspotId, month: Month, session: ReadingDep) -> dict:
    return await handlers.month_uptime(session, hotspot_id, month, now=utcnow())


@router.get("/uptime/{month}.csv", response_class=Response, summary="Verfügbarkeit aller Hotspots als CSV")
async def uptime_csv(month: Month, session: ReadingDep) -> Response:
    return _csv(await handlers.all_month_uptime(session, month, now=utcnow()), month)


@router.get(
    "/uptime/{month}",
    response_model=list[MonthUptime],
    summary="Verfügbarkeit aller Hotspots / uptime of every hotspot in a month",
)
async def uptime(month: Month, session: ReadingDep) -> list[dict]:
    return await handlers.all_month_uptime(session, month, now=utcnow())


@router.get(
    "/incidents",
    response_model=list[IncidentPublic],
    summary="Störungen aller Standorte / incidents where all sites went silent",
)
async def list_incidents(session: ReadingDep) -> list[dict]:
    return await handlers.list_incidents(session)


CSV_COLUMNS = (
    "hotspot_id",
    "site_name",
    "day",
    "uptime_percent",
    "up_s",
    "degraded_s",
    "down_s",
    "maintenance_s",
    "not_monitored_s",
)


def _csv(months: list[dict], month: str) -> Response:
    """One row per hotspot and day, then one `total` row per hotspot (day column = the month)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in months:
        for row in [*item["days"], {**item["total"], "day": month}]:
            values = {**row, "hotspot_id": item["hotspot_id"], "site_name": item["site_name"]}
            writer.writerow(["" if values[key] is None else values[key] for key in CSV_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="wifi-uptime-{month}.csv"'},
    )
