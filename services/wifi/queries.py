"""The read side of the wifi service: hotspots, maintenance windows, availability per month, incidents.
Plain dicts shaped like the response models in schemas.py; times are aware UTC (UtcDateTime)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import domain
from services.wifi.models import hotspots, incidents, maintenance_windows, reports, status_periods
from services.wifi.store import periods
from shared.auth import hash_token
from shared.errors import NotFound

_PUBLIC = [column for column in hotspots.c if column.name != "token_hash"]


def _public(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


async def get_hotspot(session: AsyncSession, hotspot_id: str) -> dict[str, Any]:
    row = (await session.execute(select(*_PUBLIC).where(hotspots.c.id == hotspot_id))).first()
    if row is None:
        raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
    return _public(row)


async def list_hotspots(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(select(*_PUBLIC).order_by(hotspots.c.site_name))).all()
    return [_public(row) for row in rows]


async def hotspot_of_token(session: AsyncSession, token: str) -> str | None:
    """The hotspot a host credential belongs to, if any."""
    query = select(hotspots.c.id).where(hotspots.c.token_hash == hash_token(token))
    owner: str | None = (await session.execute(query)).scalar_one_or_none()
    return owner


async def host_token_hash(session: AsyncSession, hotspot_id: str) -> str | None:
    """The stored digest of a hotspot's host credential (the host page's session checks it is still current)."""
    query = select(hotspots.c.token_hash).where(hotspots.c.id == hotspot_id)
    digest: str | None = (await session.execute(query)).scalar_one_or_none()
    return digest


async def list_maintenance(session: AsyncSession, hotspot_id: str) -> list[dict[str, Any]]:
    await get_hotspot(session, hotspot_id)
    windows = maintenance_windows
    query = select(windows).where(windows.c.hotspot_id == hotspot_id).order_by(windows.c.starts_at)
    return [dict(row._mapping) for row in await session.execute(query)]


async def list_incidents(session: AsyncSession) -> list[dict[str, Any]]:
    rows = await session.execute(select(incidents).order_by(incidents.c.opened_at.desc()))
    return [{**row._mapping, "hotspot_ids": json.loads(row.hotspot_ids)} for row in rows]


async def status_history(
    session: AsyncSession, hotspot_id: str, statuses: tuple[str, ...] = ("down", "degraded"), limit: int = 20
) -> list[dict[str, Any]]:
    """The latest periods of one hotspot in `statuses` (by default its outages and faults), newest first,
    each with the code of its reason (domain.reason_code)."""
    periods_ = status_periods.c
    query = (
        select(periods_.status, periods_.reason, periods_.started_at, periods_.ended_at)
        .where(periods_.hotspot_id == hotspot_id, periods_.status.in_(statuses))
        .order_by(periods_.started_at.desc(), periods_.id.desc())
        .limit(limit)
    )
    rows = await session.execute(query)
    return [{**row._mapping, "reason_code": domain.reason_code(row.reason)} for row in rows]


async def incidents_of(session: AsyncSession, hotspot_id: str) -> list[dict[str, Any]]:
    """The incidents (several sites silent together) this hotspot was part of, newest first."""
    return [incident for incident in await list_incidents(session) if hotspot_id in incident["hotspot_ids"]]


# --- availability ---------------------------------------------------------------------------


def _uptime(result: domain.Availability) -> dict[str, Any]:
    return {
        "start": result.start,
        "end": result.end,
        "uptime_percent": result.uptime_percent,
        **{f"{status}_s": round(seconds, 3) for status, seconds in result.seconds.items()},
        "not_monitored_s": round(result.not_monitored_s, 3),
    }


async def month_uptime(session: AsyncSession, hotspot_id: str, month: str, *, now: datetime) -> dict[str, Any]:
    """Uptime of one hotspot per local day and for the whole month."""
    return await _month_uptime(session, await get_hotspot(session, hotspot_id), month, now)


async def all_month_uptime(session: AsyncSession, month: str, *, now: datetime) -> list[dict[str, Any]]:
    return [await _month_uptime(session, hotspot, month, now) for hotspot in await list_hotspots(session)]


async def _month_uptime(session: AsyncSession, hotspot: dict[str, Any], month: str, now: datetime) -> dict[str, Any]:
    start, end = domain.month_bounds(month)
    spans = await periods(session, hotspot["id"], start, end)
    days = [
        {"day": day.isoformat(), **_uptime(domain.availability(spans, lo, hi, now))}
        for day, lo, hi in domain.month_days(month)
    ]
    return {
        "hotspot_id": hotspot["id"],
        "site_name": hotspot["site_name"],
        "month": month,
        "total": _uptime(domain.availability(spans, start, end, now)),
        "days": days,
    }


# --- the CSV export -------------------------------------------------------------------------

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


def uptime_rows(months: list[dict[str, Any]], month: str) -> list[list[Any]]:
    """One row per hotspot and day, then one `total` row per hotspot (day column = the month)."""
    rows = []
    for item in months:
        for row in [*item["days"], {**item["total"], "day": month}]:
            values = {**row, "hotspot_id": item["hotspot_id"], "site_name": item["site_name"]}
            rows.append([values[key] for key in CSV_COLUMNS])
    return rows


# --- the console (pages_console*.py) --------------------------------------------------------


async def recent_reports(
    session: AsyncSession, hotspot_id: str, *, before: datetime | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """One hotspot's reports, newest first, those taken before `before` (a page's last one) when given.
    Paged by time, not by offset: the (hotspot, time) index serves any page of three years of reports."""
    columns = reports.c
    query = select(
        columns.reported_at,
        columns.received_at,
        columns.uplink_ok,
        columns.clients,
        columns.backhaul_mbps,
        columns.notes,
        columns.via,
    ).where(columns.hotspot_id == hotspot_id)
    if before is not None:
        query = query.where(columns.reported_at < before)
    query = query.order_by(columns.reported_at.desc()).limit(limit)
    return [dict(row._mapping) for row in await session.execute(query)]


async def coming_maintenance(session: AsyncSession, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """The windows of every hotspot that are running or still to come, soonest first, with the site's name."""
    windows = maintenance_windows.c
    query = (
        select(maintenance_windows, hotspots.c.site_name)
        .join(hotspots, hotspots.c.id == windows.hotspot_id)
        .where(windows.ends_at > now)
        .order_by(windows.starts_at, hotspots.c.site_name)
        .limit(limit)
    )
    return [dict(row._mapping) for row in await session.execute(query)]
