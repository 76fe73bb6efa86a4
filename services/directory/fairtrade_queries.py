"""The read side of the Fairtrade-Town campaign: the criteria as counted now, the year's records, the title
and its history, and the renewal dossier over a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import fairtrade
from services.directory.config import DirectorySettings
from services.directory.fairtrade_handlers import campaign_facts
from services.directory.store import SqlStore


def _criteria(current: dict[str, fairtrade.CriterionStatus]) -> list[dict[str, Any]]:
    return [
        {"criterion": s.criterion, "met": s.met, "count": s.count, "target": s.target, "detail": s.detail}
        for s in current.values()
    ]


async def campaign_view(session: AsyncSession, *, now: datetime, settings: DirectorySettings) -> dict[str, Any]:
    store = SqlStore(session)
    campaign = await store.campaign()
    today = fairtrade.berlin_today(now)
    current = fairtrade.evaluate(await campaign_facts(store, campaign, today, settings), settings.fairtrade_targets)
    year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
    dates = await store.title_dates()
    expires = dates.expires_on
    return {
        "population": campaign["population"],
        "year": today.year,
        "criteria": _criteria(current),
        "all_met": all(s.met for s in current.values()),
        "council_resolution_on": campaign["council_resolution_on"],
        "council_resolution_text": campaign["council_resolution_text"],
        "steering_group": campaign["steering_group"],
        "actions": await store.records_between("actions", year_start, year_end),
        "press": await store.records_between("press", year_start, year_end),
        "meetings": await store.records_between("meetings", year_start, year_end),
        "titles": await store.records_between("titles", date.min, date.max),
        "title_awarded_on": dates.awarded_on,
        "title_renewed_on": dates.renewed_on,
        "title_expires_on": expires,
        "title_valid": bool(expires and today < expires),
    }


async def dossier(
    session: AsyncSession,
    *,
    now: datetime,
    settings: DirectorySettings,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """What the renewal dossier holds for the period `start`–`end` (both included; by default the two
    years before the next renewal): every action, article, meeting and title date of the period, the
    council resolution, the steering group, the five criteria as counted today, and the figures
    (per calendar year of the period and in all)."""
    store = SqlStore(session)
    campaign = await store.campaign()
    today = fairtrade.berlin_today(now)
    dates = await store.title_dates()
    default_start, default_end = fairtrade.dossier_period(dates, today)
    start, end = start or default_start, end or default_end
    fairtrade.check_period(start, end)
    current = fairtrade.evaluate(await campaign_facts(store, campaign, today, settings), settings.fairtrade_targets)
    records = {kind: await store.records_between(kind, start, end) for kind in ("actions", "press", "meetings")}
    return {
        "start": start,
        "end": end,
        "today": today,
        "population": campaign["population"],
        "council_resolution_on": campaign["council_resolution_on"],
        "council_resolution_text": campaign["council_resolution_text"],
        "steering_group": campaign["steering_group"],
        "criteria": _criteria(current),
        "titles": await store.records_between("titles", date.min, date.max),
        "title_expires_on": dates.expires_on,
        **records,
        "figures": fairtrade.dossier_figures(records, start, end),
    }
