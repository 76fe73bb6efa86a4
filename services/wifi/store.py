"""The wifi store on SQL (SQLite or PostgreSQL): `WifiStore` over the session of one transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import store_reports
from services.wifi.domain import HotspotState, Period, Transition, reason_code
from services.wifi.models import hotspots, incidents, maintenance_windows, monthly_reports, outbox, status_periods
from services.wifi.ports import HostReport, OpenIncident, Report
from shared.catalog import EventData, HotspotStatusChanged
from shared.outbox import add_event


class SqlWifiStore:
    """Implements ports.WifiStore; the caller owns the transaction (commit writes state and outbox)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- hotspots ---------------------------------------------------------------------------------

    async def add_hotspot(self, hotspot_id: str, fields: Mapping[str, Any], token_hash: str, now: datetime) -> None:
        await self.session.execute(
            hotspots.insert().values(
                id=hotspot_id, token_hash=token_hash, created_at=now, status=None, status_reason="", streak=0, **fields
            )
        )

    async def hotspot_exists(self, hotspot_id: str) -> bool:
        found = await self.session.execute(select(hotspots.c.id).where(hotspots.c.id == hotspot_id))
        return found.first() is not None

    async def update_hotspot(self, hotspot_id: str, changes: Mapping[str, Any]) -> None:
        await self.session.execute(hotspots.update().where(hotspots.c.id == hotspot_id).values(**changes))

    async def hotspots_created_before(self, end: datetime) -> list[tuple[str, str]]:
        rows = await self.session.execute(
            select(hotspots.c.id, hotspots.c.site_name)
            .where(hotspots.c.created_at < end)
            .order_by(hotspots.c.site_name)
        )
        return [(row.id, row.site_name) for row in rows]

    # --- the status aggregate ---------------------------------------------------------------------

    async def reporting_states(self, hotspot_ids: Collection[str]) -> dict[str, tuple[str, HotspotState]]:
        return await store_reports.reporting_states(self.session, set(hotspot_ids))

    async def locked_states(self, hotspot_id: str | None = None) -> dict[str, HotspotState]:
        query = select(hotspots).order_by(hotspots.c.id).with_for_update()
        if hotspot_id is not None:
            query = query.where(hotspots.c.id == hotspot_id)
        return {row.id: store_reports.state_of(row) for row in await self.session.execute(query)}

    async def save_state(self, hotspot_id: str, state: HotspotState) -> None:
        values = store_reports.state_values(state)
        await self.session.execute(hotspots.update().where(hotspots.c.id == hotspot_id).values(**values))

    async def record_transition(self, hotspot_id: str, transition: Transition) -> None:
        await self.session.execute(
            status_periods.update()
            .where(and_(status_periods.c.hotspot_id == hotspot_id, status_periods.c.ended_at.is_(None)))
            .values(ended_at=transition.since)
        )
        await self.session.execute(
            status_periods.insert().values(
                hotspot_id=hotspot_id,
                status=transition.status,
                reason=transition.reason[:300],
                started_at=transition.since,
                ended_at=None,
            )
        )
        previous, status, reason, since = transition.previous, transition.status, transition.reason, transition.since
        await self.add_event(
            HotspotStatusChanged(
                hotspot_id=hotspot_id,
                previous=previous,
                status=status,
                reason=reason,
                reason_code=reason_code(reason),
                since=since,
            )
        )

    # --- reports (store_reports.py: the hot path) -------------------------------------------------

    async def add_report(self, hotspot_id: str, report: Report, at: datetime, now: datetime, via: str) -> bool:
        return await store_reports.insert_report(self.session, hotspot_id, report, at, now, via)

    async def add_reports(
        self, checked: list[tuple[HostReport, datetime]], now: datetime, via: str
    ) -> set[tuple[str, datetime]]:
        return await store_reports.insert_reports(self.session, checked, now, via)

    # --- maintenance, incidents, monthly reports, history -----------------------------------------

    async def add_maintenance(self, window: Mapping[str, Any]) -> None:
        await self.session.execute(maintenance_windows.insert().values(**window))

    async def maintenance_of(self, hotspot_id: str, window_id: str) -> dict[str, Any] | None:
        windows = maintenance_windows.c
        query = select(maintenance_windows).where(windows.id == window_id, windows.hotspot_id == hotspot_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else dict(row._mapping)

    async def remove_maintenance(self, window_id: str) -> None:
        await self.session.execute(maintenance_windows.delete().where(maintenance_windows.c.id == window_id))

    async def end_maintenance(self, window_id: str, at: datetime) -> None:
        windows = maintenance_windows
        await self.session.execute(windows.update().where(windows.c.id == window_id).values(ends_at=at))

    async def maintenance_window(
        self, hotspot_id: str, now: datetime, *, closed_too: bool
    ) -> tuple[datetime | None, datetime | None]:
        windows = maintenance_windows.c
        of_hotspot = windows.hotspot_id == hotspot_id
        query = select(func.min(windows.starts_at)).where(of_hotspot, windows.starts_at <= now, windows.ends_at > now)
        open_start = (await self.session.execute(query)).scalar()
        if open_start is not None or not closed_too:
            return open_start, None
        query = select(func.max(windows.ends_at)).where(of_hotspot, windows.ends_at <= now)
        return None, (await self.session.execute(query)).scalar()

    async def open_incident(self) -> OpenIncident | None:
        row = (
            await self.session.execute(
                select(incidents.c.id, incidents.c.opened_at).where(incidents.c.resolved_at.is_(None))
            )
        ).first()
        return None if row is None else OpenIncident(row.id, row.opened_at)

    async def latest_status_since(self, hotspot_ids: list[str]) -> datetime | None:
        query = select(func.max(hotspots.c.status_since)).where(hotspots.c.id.in_(hotspot_ids))
        latest: datetime | None = (await self.session.execute(query)).scalar()
        return latest

    async def add_incident(self, incident_id: str, opened_at: datetime, hotspot_ids: list[str], reason: str) -> None:
        await self.session.execute(
            incidents.insert().values(
                id=incident_id,
                opened_at=opened_at,
                resolved_at=None,
                hotspot_ids=json.dumps(hotspot_ids),
                reason=reason,
            )
        )

    async def resolve_incident(self, incident_id: str, at: datetime) -> None:
        await self.session.execute(incidents.update().where(incidents.c.id == incident_id).values(resolved_at=at))

    async def monthly_report_done(self, month: str) -> bool:
        query = select(monthly_reports.c.month).where(monthly_reports.c.month == month)
        return (await self.session.execute(query)).first() is not None

    async def mark_monthly_report(self, month: str, now: datetime) -> None:
        await self.session.execute(monthly_reports.insert().values(month=month, published_at=now))

    async def periods(self, hotspot_id: str, start: datetime, end: datetime) -> list[Period]:
        return await periods(self.session, hotspot_id, start, end)

    async def add_event(self, data: EventData) -> None:
        await add_event(self.session, outbox, data)


async def periods(session: AsyncSession, hotspot_id: str, start: datetime, end: datetime) -> list[Period]:
    """The status periods of a hotspot that overlap [start, end) (also the read side's)."""
    rows = await session.execute(
        select(status_periods.c.status, status_periods.c.started_at, status_periods.c.ended_at)
        .where(
            status_periods.c.hotspot_id == hotspot_id,
            status_periods.c.started_at < end,
            status_periods.c.ended_at.is_(None) | (status_periods.c.ended_at > start),
        )
        .order_by(status_periods.c.started_at, status_periods.c.id)
    )
    return [Period(row.status, row.started_at, row.ended_at) for row in rows]
