"""The WLAN pages for citizens: `/wlan` (the six sites, their state and a map) and `/wlan/<hotspot id>`
(one site: planned maintenance, availability per month, its faults and outages). Read-only; the data
comes from queries.py, the words from the catalog (locale/en), never a status or reason code as such."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.wifi import domain, pages_chart, pages_map, queries
from shared.envelope import utcnow
from shared.errors import NotFound
from shared.service import ReadingDep
from shared.web import N_, Pages
from shared.web.i18n import babel_locale

HERE = Path(__file__).resolve().parent
pages = Pages(HERE / "templates" / "pages", HERE / "locale")
router = APIRouter()

# The state of a site in plain words (None: nothing heard yet). The shape on the map says it without colour.
STATES: dict[str | None, str] = {
    "up": N_("in Betrieb"),
    "degraded": N_("gestört"),
    "maintenance": N_("Wartung"),
    "down": N_("ausgefallen"),
    None: N_("unbekannt"),
}
REASONS = {
    "report_ok": N_("Der Standort meldet sich regelmäßig."),
    "uplink_failing": N_("Die Verbindung ins Internet ist gestört."),
    "backhaul_slow": N_("Die Verbindung ins Internet ist zu langsam."),
    "silent": N_("Der Standort meldet sich nicht mehr."),
    "maintenance": N_("Es wird gewartet."),
    "maintenance_window": N_("Es wird gewartet."),
    "maintenance_over": N_("Die Wartung ist beendet."),
    "all_sites_silent": N_("Alle Standorte waren zugleich ohne Verbindung, vermutlich eine Störung bei der Stadt."),
    "sites_silent_together": N_(
        "Mehrere Standorte waren zugleich ohne Verbindung, vermutlich eine gemeinsame Störung."
    ),
    "other": N_("Ohne nähere Angabe."),
}
PLACEMENTS = {"indoor": N_("im Gebäude"), "outdoor": N_("im Freien")}
LONGEST_ID = 36


def _percent(language: str, value: float) -> str:
    number = format_decimal(value, "#,##0.##", locale=babel_locale(language))
    return f"{number} %" if language == "de" else f"{number}%"


for _language, _environment in pages.environments.items():
    _locale = babel_locale(_language)
    _environment.filters["percent"] = partial(_percent, _language)
    _environment.filters["month"] = partial(lambda locale, day: format_date(day, "LLLL y", locale=locale), _locale)
    _environment.filters["month_short"] = partial(lambda locale, day: format_date(day, "LLL", locale=locale), _locale)
    _environment.globals.update(STATES=STATES, REASONS=REASONS, PLACEMENTS=PLACEMENTS, osm_link=pages_map.osm_link)


@router.get("/wlan", response_class=HTMLResponse)
async def sites(request: Request, session: ReadingDep) -> HTMLResponse:
    hotspots = await queries.list_hotspots(session)
    for hotspot in hotspots:
        hotspot["reason_code"] = domain.reason_code(hotspot["status_reason"])
    states = {hotspot["id"]: pages.text(request, STATES[hotspot["status"]]) for hotspot in hotspots}
    return pages.render(request, "wlan.html", hotspots=hotspots, map=pages_map.layout(hotspots, states))


@router.get("/wlan/{hotspot_id}", response_class=HTMLResponse)
async def site(hotspot_id: str, request: Request, session: ReadingDep) -> HTMLResponse:
    hotspot = await _hotspot(request, session, hotspot_id)
    now = utcnow()
    hotspot["reason_code"] = domain.reason_code(hotspot["status_reason"])
    months = [
        await queries.month_uptime(session, hotspot_id, month, now=now)
        for month in pages_chart.months_since(hotspot["created_at"], now)
    ]
    windows = [window_view(window, now) for window in await queries.list_maintenance(session, hotspot_id)]
    return pages.render(
        request,
        "site.html",
        hotspot=hotspot,
        chart=pages_chart.chart(months),
        months=months,
        faults=await faults_of(session, hotspot_id, now),
        planned=[window for window in windows if window["ends_at"] > now],
        past=[window for window in reversed(windows) if window["ends_at"] <= now][:10],
    )


async def _hotspot(request: Request, session: ReadingDep, hotspot_id: str) -> dict[str, Any]:
    """The site, or the 404 page in the reader's words (not the API's message, which names the id)."""
    if len(hotspot_id) <= LONGEST_ID:
        with suppress(NotFound):
            return await queries.get_hotspot(session, hotspot_id)
    raise NotFound(pages.text(request, N_("Diesen WLAN-Standort gibt es nicht.")))


async def faults_of(session: ReadingDep, hotspot_id: str, now: datetime) -> list[dict[str, Any]]:
    """The site's outages and faults, newest first. An outage during an incident (several sites silent
    together) is told with the incident's likely cause instead of the site's own silence."""
    faults = await queries.status_history(session, hotspot_id)
    incidents = await queries.incidents_of(session, hotspot_id)
    for fault in faults:
        if fault["status"] == "down" and in_incident(fault, incidents, now):
            fault["reason_code"] = "sites_silent_together"
    return faults


def in_incident(fault: dict[str, Any], incidents: list[dict[str, Any]], now: datetime) -> bool:
    """Whether the fault overlaps one of the incidents (either may still be going on)."""
    start, end = fault["started_at"], fault["ended_at"] or now
    return any(incident["opened_at"] <= end and start <= (incident["resolved_at"] or now) for incident in incidents)


def window_view(window: dict[str, Any], now: datetime) -> dict[str, Any]:
    starts, ends = window["starts_at"].astimezone(domain.LOCAL), window["ends_at"].astimezone(domain.LOCAL)
    # A window ending at midnight belongs to the day before it ("bis 24 Uhr" reads as that day's end).
    same_day = starts.date() == (ends - timedelta(microseconds=1)).date()
    return {**window, "same_day": same_day, "current": window["starts_at"] <= now < window["ends_at"]}
