"""The Wifi4EU duty's figures for the funding body, as JSON (operator only): per site its obligation
period, each month of it and the total; and setting a site's start day."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.wifi import queries_duty
from services.wifi.api import HotspotId
from services.wifi.handlers_duty import set_duty_start
from services.wifi.schemas_duty import DutyStart, SiteDuty
from services.wifi.store import SqlWifiStore
from shared.auth import OperatorDep
from shared.envelope import utcnow
from shared.service import ReadingDep, TransactionDep

router = APIRouter(tags=["wifi"])


@router.get(
    "/duty",
    response_model=list[SiteDuty],
    summary="Wifi4EU-Pflicht aller Hotspots / the duty's figures of every hotspot, per month (operator)",
)
async def all_duties(session: ReadingDep, _: OperatorDep) -> list[dict[str, Any]]:
    return await queries_duty.all_duties(session, now=utcnow())


@router.get(
    "/hotspots/{hotspot_id}/duty",
    response_model=SiteDuty,
    summary="Wifi4EU-Pflicht eines Hotspots / one hotspot's duty: 36 months and the total (operator)",
)
async def site_duty(hotspot_id: HotspotId, session: ReadingDep, _: OperatorDep) -> dict[str, Any]:
    return await queries_duty.site_duty(session, hotspot_id, now=utcnow())


@router.put(
    "/hotspots/{hotspot_id}/duty",
    response_model=SiteDuty,
    summary="Beginn der Pflicht setzen / set the first day of the obligation period (operator)",
)
async def put_duty_start(
    hotspot_id: HotspotId, body: DutyStart, session: TransactionDep, _: OperatorDep
) -> dict[str, Any]:
    await set_duty_start(SqlWifiStore(session), hotspot_id, body.start)
    return await queries_duty.site_duty(session, hotspot_id, now=utcnow())
