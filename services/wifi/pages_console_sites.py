"""The console's read pages: `/verwaltung/wlan` (every site, problems first; incidents; coming maintenance;
last month's Wifi4EU figures and their CSV), `/verwaltung/wlan/<id>` (one site: state, history, incidents,
latest reports, availability, maintenance with its form) and `/verwaltung/wlan/<id>/meldungen` (every
report, page by page)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import domain, pages_chart, queries
from services.wifi.pages import window_view
from services.wifi.pages_console_forms import PATH, render, site_or_404
from services.wifi.schemas import MONTH
from shared.envelope import utcnow
from shared.inputs import Instant
from shared.service import ReadingDep
from shared.spreadsheet import csv_response

router = APIRouter()

# Problems first: what the office has to act on, then what it waits for, then what works.
ORDER = {"down": 0, "degraded": 1, None: 2, "maintenance": 3, "up": 4}
ALL_STATUSES = ("up", "degraded", "down", "maintenance")
LATEST_REPORTS = 10
REPORTS_PER_PAGE = 50


@router.get(PATH, response_class=HTMLResponse)
async def sites(request: Request, session: ReadingDep) -> HTMLResponse:
    now = utcnow()
    hotspots = sorted(await queries.list_hotspots(session), key=lambda h: (ORDER[h["status"]], h["site_name"]))
    names = {hotspot["id"]: hotspot["site_name"] for hotspot in hotspots}
    windows = [window_view(window, now) for window in await queries.coming_maintenance(session, now)]
    next_window: dict[str, dict[str, Any]] = {}
    for window in windows:
        next_window.setdefault(window["hotspot_id"], window)
    for hotspot in hotspots:
        hotspot["reason_code"] = domain.reason_code(hotspot["status_reason"])
        hotspot["next_window"] = next_window.get(hotspot["id"])
    incidents = [
        {**incident, "sites": sorted(names.get(i, "?") for i in incident["hotspot_ids"])}
        for incident in await queries.list_incidents(session)
        if incident["resolved_at"] is None
    ]
    last_month = domain.previous_month(now)
    local = now.astimezone(domain.LOCAL)
    return render(
        request,
        "sites.html",
        hotspots=hotspots,
        problems=sum(1 for h in hotspots if h["status"] in ("down", "degraded")),
        incidents=incidents,
        windows=windows,
        last_month=last_month,
        this_month=f"{local.year:04d}-{local.month:02d}",
        figures=await queries.all_month_uptime(session, last_month, now=now),
        first_day=_first_day,
    )


def _first_day(month: str) -> datetime:
    start, _ = domain.month_bounds(month)
    return start.astimezone(domain.LOCAL)


@router.get(PATH + "/verfuegbarkeit/{month}.csv")
async def figures_csv(month: Annotated[str, Path(pattern=MONTH)], session: ReadingDep) -> Response:
    """The month's availability of every site, in the API's CSV format (the Wifi4EU evidence)."""
    months = await queries.all_month_uptime(session, month, now=utcnow())
    response = csv_response(queries.CSV_COLUMNS, queries.uptime_rows(months, month), f"wlan-verfuegbarkeit-{month}.csv")
    response.headers["cache-control"] = "no-store"
    return response


async def site_page(
    request: Request,
    session: AsyncSession,
    hotspot_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """One site's console page; also the answer to its maintenance form when something is to be fixed."""
    hotspot = await site_or_404(request, session, hotspot_id)
    now = utcnow()
    hotspot["reason_code"] = domain.reason_code(hotspot["status_reason"])
    months = [
        await queries.month_uptime(session, hotspot_id, month, now=now)
        for month in pages_chart.months_since(hotspot["created_at"], now)
    ]
    windows = [window_view(window, now) for window in await queries.list_maintenance(session, hotspot_id)]
    return render(
        request,
        "site.html",
        status_code=status_code,
        form=form or {},
        errors=errors or {},
        hotspot=hotspot,
        history=await queries.status_history(session, hotspot_id, ALL_STATUSES),
        incidents=await queries.incidents_of(session, hotspot_id),
        reports=await queries.recent_reports(session, hotspot_id, limit=LATEST_REPORTS),
        chart=pages_chart.chart(months),
        months=months,
        planned=[window for window in windows if window["ends_at"] > now],
        past=[window for window in reversed(windows) if window["ends_at"] <= now][:5],
        planned_now=request.query_params.get("geplant") == "1",
        cancelled_now=request.query_params.get("abgesagt") == "1",
        renamed_now=request.query_params.get("umbenannt") == "1",
    )


@router.get(PATH + "/{hotspot_id}", response_class=HTMLResponse)
async def site(hotspot_id: str, request: Request, session: ReadingDep) -> HTMLResponse:
    return await site_page(request, session, hotspot_id)


@router.get(PATH + "/{hotspot_id}/meldungen", response_class=HTMLResponse)
async def site_reports(
    hotspot_id: str,
    request: Request,
    session: ReadingDep,
    before: Annotated[Instant | None, Query(alias="bis")] = None,
) -> HTMLResponse:
    """A page of reports, newest first; "older" continues from the last one shown (`?bis=<its time>`)."""
    hotspot = await site_or_404(request, session, hotspot_id)
    found = await queries.recent_reports(session, hotspot_id, before=before, limit=REPORTS_PER_PAGE + 1)
    shown = found[:REPORTS_PER_PAGE]
    return render(
        request,
        "reports.html",
        hotspot=hotspot,
        reports=shown,
        older=shown[-1]["reported_at"].isoformat() if len(found) > REPORTS_PER_PAGE else None,
        first_page=before is None,
    )
