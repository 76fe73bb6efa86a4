"""The read side of the Wifi4EU duty (domain_duty.py): per site its obligation period, the figures of
each month of it and the total, for the console, its PDF and CSV, and the operator's JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import domain_duty, queries
from services.wifi.store import month_tallies, periods_within


def figures_view(figures: domain_duty.Figures) -> dict[str, Any]:
    return {
        "start": figures.start,
        "end": figures.end,
        "availability_percent": figures.availability_percent,
        "downtime_min": figures.downtime_min,
        "downtime_s": figures.downtime_s,
        "incidents": figures.incidents,
        "maintenance_min": figures.maintenance_min,
        "maintenance_s": figures.maintenance_s,
        "not_monitored_s": figures.not_monitored_s,
    }


async def duty_of(
    session: AsyncSession,
    hotspot: dict[str, Any],
    now: datetime,
    rolled: dict[str, domain_duty.MonthTally] | None = None,
) -> dict[str, Any]:
    """One site's obligation period with its figures per month and in total: closed months from their
    roll-ups (`rolled`, written by the periodic check; read here if not given), the others from their
    status periods."""
    start = hotspot.get("duty_start") or domain_duty.default_start(hotspot["created_at"])
    if rolled is None:
        rolled = (await month_tallies(session, hotspot["id"])).get(hotspot["id"], {})
    spans = domain_duty.unrolled_spans(start, now, rolled)
    found = domain_duty.summary(await periods_within(session, hotspot["id"], spans), start, now, rolled)
    return {
        "hotspot_id": hotspot["id"],
        "site_name": hotspot["site_name"],
        "start": found.start,
        "end": found.end,
        "start_set": hotspot.get("duty_start") is not None,
        "months": [
            {"month": item.month, "partial": item.partial, **figures_view(item.figures)} for item in found.months
        ],
        "total": figures_view(found.total),
    }


async def site_duty(session: AsyncSession, hotspot_id: str, *, now: datetime) -> dict[str, Any]:
    return await duty_of(session, await queries.get_hotspot(session, hotspot_id), now)


async def all_duties(session: AsyncSession, *, now: datetime) -> list[dict[str, Any]]:
    rolled = await month_tallies(session)  # every site's in one read
    return [
        await duty_of(session, hotspot, now, rolled.get(hotspot["id"], {}))
        for hotspot in await queries.list_hotspots(session)
    ]


# --- the CSV for the funding body ------------------------------------------------------------

CSV_COLUMNS = (
    "hotspot_id",
    "site_name",
    "month",
    "partial",
    "availability_percent",
    "downtime_min",
    "incidents",
    "maintenance_min",
    "not_monitored_s",
)


def duty_rows(duties: list[dict[str, Any]]) -> list[list[Any]]:
    """One row per site and month of its obligation period, then its `total` row (month column:
    `total`; its incidents counted once even where one went on over a month's end)."""
    rows = []
    for duty in duties:
        for item in [*duty["months"], {**duty["total"], "month": "total", "partial": False}]:
            values = {**item, "hotspot_id": duty["hotspot_id"], "site_name": duty["site_name"]}
            values["partial"] = "yes" if item["partial"] else "no"
            rows.append([values[key] for key in CSV_COLUMNS])
    return rows
