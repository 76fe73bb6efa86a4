"""The wifi store on SQL (SQLite or PostgreSQL): `WifiStore` over the session of one transaction."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import store_reports
from services.wifi.domain import LOCAL, HotspotState, Outage, Period, Transition, reason_code
from services.wifi.domain_duty import MonthTally
from services.wifi.models import (
    hotspots,
    incidents,
    maintenance_windows,
    monthly_reports,
    outages,
    outbox,
    status_months,
    status_periods,
)
from services.wifi.ports import HostReport, OpenIncident, Report
from shared.catalog import EventData, HotspotStatusChanged
from shared.outbox import add_event
from shared.sqlite_connection import WRITES, defer_writes_until_commit


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

    async def site_names(self) -> dict[str, str]:
        return {
            row.id: row.site_name for row in await self.session.execute(select(hotspots.c.id, hotspots.c.site_name))
        }

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
        # A change dated back into a rolled-up month (a maintenance window entered after it began) makes
        # that month's roll-up and the later ones wrong: the next periodic check writes them again.
        since_month = f"{transition.since.astimezone(LOCAL):%Y-%m}"
        months = status_months.c
        await self.session.execute(
            status_months.delete().where(months.hotspot_id == hotspot_id, months.month >= since_month)
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
        name = (await self.session.execute(select(hotspots.c.site_name).where(hotspots.c.id == hotspot_id))).scalar()
        await self.add_event(
            HotspotStatusChanged(
                hotspot_id=hotspot_id,
                previous=previous,
                status=status,
                reason=reason,
                reason_code=reason_code(reason),
                since=since,
                site_name=name,
            )
        )

    # --- reports (store_reports.py: the hot path) -------------------------------------------------

    async def add_report(self, hotspot_id: str, report: Report, at: datetime, now: datetime, via: str) -> bool:
        return await store_reports.insert_report(self.session, hotspot_id, report, at, now, via)

    async def write_the_rest_with_commit(self) -> None:
        # SQLite: the status row's update (at commit) and a transition's writes go to the database thread
        # with the COMMIT, one hand-over instead of one each (bench/README.md, report_cpu.py)
        await defer_writes_until_commit(await self.session.connection(), WRITES)

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

    async def open_incidents(self) -> list[OpenIncident]:
        query = select(incidents.c.id, incidents.c.opened_at, incidents.c.hotspot_ids).where(
            incidents.c.resolved_at.is_(None)
        )
        rows = await self.session.execute(query.order_by(incidents.c.opened_at))
        return [OpenIncident(row.id, row.opened_at, json.loads(row.hotspot_ids)) for row in rows]

    async def active_outages(self) -> list[Outage]:
        o = outages.c
        told_alone = and_(o.alert == "alone", o.recovery_announced == false())
        query = select(outages).where(or_(o.ended_at.is_(None), o.alert.is_(None), told_alone))
        rows = await self.session.execute(query.order_by(o.noticed_at, o.hotspot_id))
        return [
            Outage(
                row.id,
                row.hotspot_id,
                row.started_at,
                row.noticed_at,
                row.ended_at,
                row.alert,
                row.incident_id,
                row.recovery_announced,
            )
            for row in rows
        ]

    async def add_outage(self, outage: Outage) -> None:
        await self.session.execute(
            outages.insert().values(
                id=outage.id,
                hotspot_id=outage.hotspot_id,
                started_at=outage.started_at,
                noticed_at=outage.noticed_at,
                ended_at=outage.ended_at,
                alert=outage.alert,
                incident_id=outage.incident_id,
                recovery_announced=outage.recovery_announced,
            )
        )

    async def update_outage(self, outage_id: str, changes: Mapping[str, Any]) -> None:
        await self.session.execute(outages.update().where(outages.c.id == outage_id).values(**changes))

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

    async def roll_up_starts(self) -> dict[str, date]:
        rows = await self.session.execute(select(hotspots.c.id, hotspots.c.created_at, hotspots.c.duty_start))
        return {row.id: row.duty_start or row.created_at.astimezone(LOCAL).date() for row in rows}

    async def rolled_months(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in await self.session.execute(select(status_months.c.hotspot_id, status_months.c.month)):
            found.setdefault(row.hotspot_id, set()).add(row.month)
        return found

    async def add_month_tally(self, hotspot_id: str, month: str, found: MonthTally, now: datetime) -> None:
        await self.session.execute(
            status_months.insert().values(
                hotspot_id=hotspot_id,
                month=month,
                **{f"{status}_us": _microseconds(found.time.get(status)) for status in STATUSES},
                incidents=found.incidents,
                carried=found.carried,
                rolled_at=now,
            )
        )

    async def add_event(self, data: EventData) -> None:
        await add_event(self.session, outbox, data)


STATUSES = ("up", "degraded", "down", "maintenance")


def _microseconds(spent: timedelta | None) -> int:
    return 0 if spent is None else spent // timedelta(microseconds=1)


async def month_tallies(session: AsyncSession, hotspot_id: str | None = None) -> dict[str, dict[str, MonthTally]]:
    """The roll-ups of closed months per hotspot (of one, or of all in one query), by month (YYYY-MM)."""
    query = select(status_months)
    if hotspot_id is not None:
        query = query.where(status_months.c.hotspot_id == hotspot_id)
    found: dict[str, dict[str, MonthTally]] = {}
    for row in await session.execute(query):
        found.setdefault(row.hotspot_id, {})[row.month] = MonthTally(
            {status: timedelta(microseconds=getattr(row, f"{status}_us")) for status in STATUSES},
            row.incidents,
            row.carried,
        )
    return found


async def periods(session: AsyncSession, hotspot_id: str, start: datetime, end: datetime) -> list[Period]:
    """The status periods of a hotspot that overlap [start, end) (also the read side's).

    A hotspot's periods follow one another (`record_transition` ends the open one where the next
    begins), so the first that overlaps is the last one begun by `start`: reading from its beginning
    along the (hotspot, start) index costs the same for last month as for the first month of three
    years of history (bench/data_growth.py); `ended_at > start` alone was checked on every period
    begun before `end`."""
    return await periods_within(session, hotspot_id, [(start, end)])


async def periods_within(
    session: AsyncSession, hotspot_id: str, spans: list[tuple[datetime, datetime]]
) -> list[Period]:
    """The status periods that overlap any of `spans`, in order, each once: one round trip, each span
    read along the index as in `periods` (a UNION ALL: an OR of the spans is not an index seek on SQLite)."""
    if not spans:
        return []
    sp = status_periods.c
    reads = []
    for start, end in spans:
        last_begun = (
            select(sp.started_at)
            .where(sp.hotspot_id == hotspot_id, sp.started_at <= start)
            .order_by(sp.started_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        reads.append(
            select(sp.id, sp.status, sp.started_at, sp.ended_at).where(
                sp.hotspot_id == hotspot_id,
                sp.started_at >= func.coalesce(last_begun, start),
                sp.started_at < end,
                sp.ended_at.is_(None) | (sp.ended_at > start),
            )
        )
    query = reads[0] if len(reads) == 1 else union_all(*reads).subquery().select()
    rows = await session.execute(query.order_by(query.selected_columns.started_at, query.selected_columns.id))
    seen: set[int] = set()  # a period that overlaps two spans comes back twice
    found = []
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            found.append(Period(row.status, row.started_at, row.ended_at))
    return found
