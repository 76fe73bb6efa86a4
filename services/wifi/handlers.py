"""Use cases of the wifi service: each runs in the caller's transaction and stages its events there."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, bindparam, event, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.wifi import domain
from services.wifi.config import WifiSettings
from services.wifi.models import (
    hotspots,
    incidents,
    maintenance_windows,
    monthly_reports,
    outbox,
    reports,
    status_periods,
)
from services.wifi.schemas import HotspotCreate, HotspotUpdate, MaintenanceCreate, ReportAccepted, ReportIn
from shared.auth import hash_token, new_token, token_matches
from shared.catalog import (
    HotspotAvailability,
    HotspotIncidentOpened,
    HotspotIncidentResolved,
    HotspotMonthlyReport,
    HotspotRegistered,
    HotspotStatusChanged,
)
from shared.db import as_utc as utc
from shared.errors import DomainError, Invalid, NotFound
from shared.outbox import add_event

INCIDENT_REASON = (
    "Alle Standorte ohne Meldung – vermutlich städtischer Uplink / all sites silent – likely the city uplink"
)


class WrongCredential(DomainError):
    status = 403


@dataclass(frozen=True)
class Tuning:
    timeout: timedelta
    confirm_reports: int = 3
    min_backhaul_mbps: float = 30.0
    check_interval_s: float = 5.0
    incident_min_sites: int = 2
    max_clock_skew: timedelta = timedelta(minutes=5)


def load_tuning(wifi: WifiSettings) -> Tuning:
    return Tuning(
        timeout=timedelta(seconds=wifi.heartbeat_timeout_s),
        confirm_reports=wifi.confirm_reports,
        min_backhaul_mbps=wifi.min_backhaul_mbps,
        check_interval_s=wifi.check_interval_s,
        incident_min_sites=wifi.incident_min_sites,
        max_clock_skew=timedelta(seconds=wifi.max_clock_skew_s),
    )


def public(row) -> dict:
    data = dict(row._mapping)
    data.pop("token_hash", None)
    for key in ("created_at", "status_since", "last_report_at"):
        data[key] = utc(data[key])
    return data


# --- hotspots -------------------------------------------------------------------------------


async def create_hotspot(session: AsyncSession, data: HotspotCreate, now: datetime) -> tuple[dict, str]:
    """Register a hotspot; returns it with the host credential, which is stored only as a hash."""
    token = new_token("hbh")
    hotspot_id = str(uuid.uuid4())
    await session.execute(
        hotspots.insert().values(
            id=hotspot_id,
            token_hash=hash_token(token),
            created_at=now,
            status=None,
            status_reason="",
            streak=0,
            **data.model_dump(),
        )
    )
    await add_event(session, outbox, HotspotRegistered(hotspot_id=hotspot_id, site_name=data.site_name))
    return await get_hotspot(session, hotspot_id), token


async def update_hotspot(session: AsyncSession, hotspot_id: str, data: HotspotUpdate) -> dict:
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None:
            raise Invalid(f"{key} cannot be null", field=key)
    await get_hotspot(session, hotspot_id)
    if changes:
        await session.execute(hotspots.update().where(hotspots.c.id == hotspot_id).values(**changes))
    return await get_hotspot(session, hotspot_id)


async def rotate_token(session: AsyncSession, hotspot_id: str) -> str:
    await get_hotspot(session, hotspot_id)
    token = new_token("hbh")
    await session.execute(hotspots.update().where(hotspots.c.id == hotspot_id).values(token_hash=hash_token(token)))
    return token


async def get_hotspot(session: AsyncSession, hotspot_id: str) -> dict:
    row = (await session.execute(select(hotspots).where(hotspots.c.id == hotspot_id))).first()
    if row is None:
        raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
    return public(row)


async def list_hotspots(session: AsyncSession) -> list[dict]:
    rows = (await session.execute(select(hotspots).order_by(hotspots.c.site_name))).all()
    return [public(row) for row in rows]


async def hotspot_of_token(session: AsyncSession, token: str) -> str | None:
    """The hotspot a host credential belongs to, if any."""
    return (
        await session.execute(select(hotspots.c.id).where(hotspots.c.token_hash == hash_token(token)))
    ).scalar_one_or_none()


# --- status ---------------------------------------------------------------------------------


def _state(row) -> domain.HotspotState:
    return domain.HotspotState(
        created_at=utc(row.created_at),
        status=row.status,
        since=utc(row.status_since),
        reason=row.status_reason,
        last_report_at=utc(row.last_report_at),
        observed=row.observed,
        candidate=row.candidate,
        streak=row.streak,
    )


def _state_values(state: domain.HotspotState) -> dict:
    return dict(
        status=state.status,
        status_since=state.since,
        status_reason=state.reason,
        last_report_at=state.last_report_at,
        observed=state.observed,
        candidate=state.candidate,
        streak=state.streak,
    )


async def _save(
    session: AsyncSession,
    hotspot_id: str,
    state: domain.HotspotState,
    transition: domain.Transition | None,
    *,
    row: bool = True,
) -> None:
    if row:
        await session.execute(hotspots.update().where(hotspots.c.id == hotspot_id).values(**_state_values(state)))
    if transition is None:
        return
    await session.execute(
        status_periods.update()
        .where(
            and_(
                status_periods.c.hotspot_id == hotspot_id,
                status_periods.c.ended_at.is_(None),
            )
        )
        .values(ended_at=transition.since)
    )
    await session.execute(
        status_periods.insert().values(
            hotspot_id=hotspot_id,
            status=transition.status,
            reason=transition.reason[:300],
            started_at=transition.since,
            ended_at=None,
        )
    )
    await add_event(
        session,
        outbox,
        HotspotStatusChanged(
            hotspot_id=hotspot_id,
            previous=transition.previous,
            status=transition.status,
            reason=transition.reason,
            since=transition.since,
        ),
    )


async def _locked(session: AsyncSession, hotspot_id: str):
    row = (await session.execute(select(hotspots).where(hotspots.c.id == hotspot_id).with_for_update())).first()
    if row is None:
        raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
    return row


def _checked_time(hotspot_id: str, report: ReportIn, now: datetime, tuning: Tuning) -> datetime:
    """The report's own rules (before any hotspot is read); returns its timestamp in UTC."""
    if report.hotspot_id is not None and report.hotspot_id != hotspot_id:
        raise Invalid("hotspot_id does not match the hotspot reported for", field="hotspot_id")
    at = report.timestamp.astimezone(UTC)
    if at > now + tuning.max_clock_skew:
        raise Invalid("timestamp lies in the future (check the host's clock)", field="timestamp")
    return at


def _report_row(hotspot_id: str, report: ReportIn, at: datetime, now: datetime, via: str) -> dict:
    return dict(
        hotspot_id=hotspot_id,
        reported_at=at,
        received_at=now,
        uplink_ok=report.uplink_ok,
        clients=report.clients,
        backhaul_mbps=report.backhaul_mbps,
        notes=report.notes,
        via=via,
    )


def _take(
    state: domain.HotspotState, report: ReportIn, at: datetime, now: datetime, tuning: Tuning
) -> tuple[bool, domain.Transition | None]:
    """Let a newly stored report drive the status machine; returns (stale, transition)."""
    # Reports resent from a host's buffer are history, not a sign of life now.
    if (state.last_report_at is not None and at <= state.last_report_at) or now - at >= tuning.timeout:
        return True, None
    seen = domain.observe(report.uplink_ok, report.backhaul_mbps, tuning.min_backhaul_mbps)
    return False, state.report(seen, at, in_maintenance=state.status == "maintenance", confirm=tuning.confirm_reports)


_INSERT_REPORTS = {
    dialect: insert(reports).on_conflict_do_nothing(index_elements=["hotspot_id", "reported_at"])
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_INSERT_REPORTS_RETURNING_PG = _INSERT_REPORTS["postgresql"].returning(reports.c.hotspot_id, reports.c.reported_at)
# SQLite: a batch of reports as one JSON parameter, unpacked by json_each. SQLAlchemy's per-row
# parameter handling for a 250-row insert cost more than SQLite's own work (bench/reports.py). The
# report time is written in SQLAlchemy's SQLite DATETIME format, so rows from either insert compare
# equal in the unique key (hotspot_id, reported_at).
_INSERT_REPORTS_SQLITE_JSON = text(
    "INSERT INTO reports (hotspot_id, reported_at, received_at, uplink_ok, clients, backhaul_mbps, notes, via) "
    "SELECT value ->> 0, value ->> 1, :received_at, value ->> 2, value ->> 3, value ->> 4, value ->> 5, :via "
    "FROM json_each(:rows) WHERE true ON CONFLICT (hotspot_id, reported_at) DO NOTHING "
    "RETURNING hotspot_id, reported_at"
).bindparams(bindparam("received_at", type_=reports.c.received_at.type))  # rows come back as stored: text


def _sqlite_datetime(at: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite DateTime stores it, `YYYY-MM-DD HH:MM:SS.ffffff`
    (isoformat: about five times faster than the equivalent strftime, which showed in a batch)."""
    return at.replace(tzinfo=None).isoformat(" ", "microseconds")


async def _store_reports(
    session: AsyncSession, checked: list[tuple[HostReport, datetime]], now: datetime, via: str
) -> set[tuple[str, datetime]]:
    """Insert the batch's report rows (duplicates skipped); returns the (hotspot_id, reported_at) stored."""
    if session.bind.dialect.name == "sqlite":
        stamps = [_sqlite_datetime(at) for _, at in checked]
        rows = json.dumps(
            [
                [
                    item.hotspot_id,
                    stamp,
                    item.report.uplink_ok,
                    item.report.clients,
                    item.report.backhaul_mbps,
                    item.report.notes,
                ]
                for (item, _), stamp in zip(checked, stamps, strict=True)
            ]
        )
        stored = await session.execute(_INSERT_REPORTS_SQLITE_JSON, {"rows": rows, "received_at": now, "via": via})
        # The times come back as the text just written: looked up, not parsed again.
        at_of = dict(zip(stamps, (at for _, at in checked), strict=True))
        return {(hotspot_id, at_of[stamp]) for hotspot_id, stamp in stored.all()}
    stored = await session.execute(
        _INSERT_REPORTS_RETURNING_PG, [_report_row(item.hotspot_id, item.report, at, now, via) for item, at in checked]
    )
    return {(hotspot_id, utc(reported_at)) for hotspot_id, reported_at in stored}


def _insert_reports(session: AsyncSession):
    return _INSERT_REPORTS[session.bind.dialect.name]


async def record_report(
    session: AsyncSession,
    hotspot_id: str,
    report: ReportIn,
    *,
    now: datetime,
    tuning: Tuning,
    via: str = "http",
    token: str | None = None,
) -> ReportAccepted:
    """Keep the report; let a fresh one drive the status machine. When `token` is given it must be this
    hotspot's host credential.

    Maintenance windows open and close with the periodic check (and at once when a window is added
    that has already begun); a report only sees whether the hotspot is in maintenance now. This keeps
    a report at three statements: read the hotspot, insert the report, update the status.
    """
    at = _checked_time(hotspot_id, report, now, tuning)
    token_hash, state = await _reporting_state(session, hotspot_id)
    if token is not None and not token_matches(token, token_hash):
        raise WrongCredential(f"host credential not valid for hotspot {hotspot_id}", field="token")
    inserted = await session.execute(_insert_reports(session).values(**_report_row(hotspot_id, report, at, now, via)))
    if inserted.rowcount != 1:
        return ReportAccepted(hotspot_id=hotspot_id, duplicate=True, stale=False, status=state.status)
    stale, transition = _take(state, report, at, now, tuning)
    if stale:
        return ReportAccepted(hotspot_id=hotspot_id, duplicate=False, stale=True, status=state.status)
    await _save(session, hotspot_id, state, transition, row=False)  # the row is written at commit
    return ReportAccepted(hotspot_id=hotspot_id, duplicate=False, stale=False, status=state.status)


class HostReport(NamedTuple):
    """One report as it arrived on NATS: for which hotspot (the subject), what, and with which credential.
    (A named tuple: one is made per report, and cheaper than a frozen dataclass.)"""

    hotspot_id: str
    report: ReportIn
    token: str | None  # None (no credential presented) is refused


async def record_reports(
    session: AsyncSession, batch: list[HostReport], *, now: datetime, tuning: Tuning, via: str = "nats"
) -> None:
    """Many host reports at once, with the same outcome as `record_report(..., token=...)` for each in
    order: same rows, same status transitions and events. Any report that `record_report` would refuse
    raises here too (the caller's transaction is then rolled back as a whole).

    Statements per batch instead of per report: one read of all hotspots concerned, one multi-row insert
    of the reports, and per hotspot one status row update (at commit); plus three per transition (rare).
    """
    checked = [(item, _checked_time(item.hotspot_id, item.report, now, tuning)) for item in batch]
    states = await _reporting_states(session, {item.hotspot_id for item in batch})
    # Each distinct (hotspot, credential) pair is checked once per batch, not once per report.
    for hotspot_id, token in dict.fromkeys((item.hotspot_id, item.token) for item in batch):
        if hotspot_id not in states:
            raise NotFound(f"no hotspot {hotspot_id}", field="hotspot_id")
        if not token or not token_matches(token, states[hotspot_id][0]):
            raise WrongCredential(f"host credential not valid for hotspot {hotspot_id}", field="token")
    # One INSERT … VALUES (…), (…) … ON CONFLICT DO NOTHING RETURNING: the rows that came back are the ones
    # stored; a report without its row was a duplicate (of an earlier one, or of one earlier in this batch).
    new = await _store_reports(session, checked, now, via)
    for item, at in checked:
        key = (item.hotspot_id, at)
        if key not in new:
            continue  # duplicate: kept once, no effect
        new.discard(key)  # a second copy later in this batch is the duplicate
        _, state = states[item.hotspot_id]
        _, transition = _take(state, item.report, at, now, tuning)
        if transition is not None:
            await _save(session, item.hotspot_id, state, transition, row=False)  # rows written at commit


_REPORTING = "hallobot_wifi_reporting_states"


def _reporting_cache(session: AsyncSession) -> dict[str, tuple[str, domain.HotspotState]]:
    """Reports in one transaction read each hotspot once (locked) and write its status row back once,
    just before the commit, instead of once per report."""
    states = session.info.get(_REPORTING)
    if states is None:
        states = session.info[_REPORTING] = {}
        event.listen(session.sync_session, "before_commit", _write_reporting_states)
    return states


async def _reporting_state(session: AsyncSession, hotspot_id: str) -> tuple[str, domain.HotspotState]:
    states = _reporting_cache(session)
    if hotspot_id not in states:
        row = await _locked(session, hotspot_id)
        states[hotspot_id] = (row.token_hash, _state(row))
    return states[hotspot_id]


# Built once (bind parameters): per batch, building the statements cost a good part of a batch.
_REPORTING_COLUMNS = [
    hotspots.c[name]
    for name in (
        "id",
        "token_hash",
        "created_at",
        "status",
        "status_since",
        "status_reason",
        "last_report_at",
        "observed",
        "candidate",
        "streak",
    )
]
_LOCK_REPORTING = (
    select(*_REPORTING_COLUMNS)
    .where(hotspots.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(hotspots.c.id)
    .with_for_update()
)


async def _reporting_states(session: AsyncSession, hotspot_ids: set[str]) -> dict[str, tuple[str, domain.HotspotState]]:
    """Like `_reporting_state` for many hotspots in one statement (locked in id order: no deadlock between
    instances on PostgreSQL). Unknown ids are simply absent."""
    states = _reporting_cache(session)
    missing = sorted(hotspot_ids - states.keys())
    if missing:
        rows = (await session.execute(_LOCK_REPORTING, {"ids": missing})).all()
        for row in rows:
            states[row.id] = (row.token_hash, _state(row))
    return states


# executemany: the SET clause comes from the parameter keys (the _state_values columns)
_WRITE_STATE = hotspots.update().where(hotspots.c.id == bindparam("hotspot_id"))


def _write_reporting_states(sync_session) -> None:
    """All status rows of the transaction in one executemany (one round trip to the driver)."""
    states = sync_session.info.pop(_REPORTING, {})
    if states:
        sync_session.execute(
            _WRITE_STATE,
            [{"hotspot_id": hotspot_id, **_state_values(state)} for hotspot_id, (_, state) in sorted(states.items())],
        )


async def add_maintenance(
    session: AsyncSession, hotspot_id: str, data: MaintenanceCreate, *, now: datetime, tuning: Tuning
) -> dict:
    await get_hotspot(session, hotspot_id)
    values = dict(
        id=str(uuid.uuid4()),
        hotspot_id=hotspot_id,
        starts_at=data.starts_at.astimezone(UTC),
        ends_at=data.ends_at.astimezone(UTC),
        note=data.note,
        created_at=now,
    )
    await session.execute(maintenance_windows.insert().values(**values))
    await _tick(session, await _locked(session, hotspot_id), now, tuning)
    return values


async def list_maintenance(session: AsyncSession, hotspot_id: str) -> list[dict]:
    await get_hotspot(session, hotspot_id)
    rows = (
        await session.execute(
            select(maintenance_windows)
            .where(maintenance_windows.c.hotspot_id == hotspot_id)
            .order_by(maintenance_windows.c.starts_at)
        )
    ).all()
    return [{**row._mapping, "starts_at": utc(row.starts_at), "ends_at": utc(row.ends_at)} for row in rows]


async def _tick(session: AsyncSession, row, now: datetime, tuning: Tuning) -> str | None:
    open_start = (
        await session.execute(
            select(func.min(maintenance_windows.c.starts_at)).where(
                and_(
                    maintenance_windows.c.hotspot_id == row.id,
                    maintenance_windows.c.starts_at <= now,
                    maintenance_windows.c.ends_at > now,
                )
            )
        )
    ).scalar()
    last_end = None
    if open_start is None and row.status == "maintenance":
        last_end = (
            await session.execute(
                select(func.max(maintenance_windows.c.ends_at)).where(
                    and_(
                        maintenance_windows.c.hotspot_id == row.id,
                        maintenance_windows.c.ends_at <= now,
                    )
                )
            )
        ).scalar()
    state = _state(row)
    transition = state.tick(now, timeout=tuning.timeout, window_start=utc(open_start), window_end=utc(last_end))
    if transition:
        await _save(session, row.id, state, transition)
    return state.status


async def check_hotspots(session: AsyncSession, *, now: datetime, tuning: Tuning) -> None:
    """The periodic check: silence, maintenance windows, the all-sites incident, last month's report."""
    rows = (await session.execute(select(hotspots).order_by(hotspots.c.id).with_for_update())).all()
    statuses = {row.id: await _tick(session, row, now, tuning) for row in rows}
    await _check_incident(session, statuses, now, tuning)
    await _publish_monthly_report(session, now)


async def _check_incident(
    session: AsyncSession, statuses: dict[str, str | None], now: datetime, tuning: Tuning
) -> None:
    open_incident = (await session.execute(select(incidents).where(incidents.c.resolved_at.is_(None)))).first()
    silent = domain.all_silent(statuses, tuning.incident_min_sites)
    if silent and open_incident is None:
        ids = sorted(key for key, status in statuses.items() if status == "down")
        since = (
            await session.execute(select(func.max(hotspots.c.status_since)).where(hotspots.c.id.in_(ids)))
        ).scalar()
        incident_id = str(uuid.uuid4())
        await session.execute(
            incidents.insert().values(
                id=incident_id,
                opened_at=utc(since) or now,
                resolved_at=None,
                hotspot_ids=json.dumps(ids),
                reason=INCIDENT_REASON,
            )
        )
        await add_event(
            session,
            outbox,
            HotspotIncidentOpened(
                incident_id=incident_id, hotspot_ids=ids, reason=INCIDENT_REASON, since=utc(since) or now
            ),
        )
    elif not silent and open_incident is not None:
        await session.execute(incidents.update().where(incidents.c.id == open_incident.id).values(resolved_at=now))
        await add_event(
            session,
            outbox,
            HotspotIncidentResolved(
                incident_id=open_incident.id, opened_at=utc(open_incident.opened_at), resolved_at=now
            ),
        )


async def list_incidents(session: AsyncSession) -> list[dict]:
    rows = (await session.execute(select(incidents).order_by(incidents.c.opened_at.desc()))).all()
    return [
        {
            "id": row.id,
            "opened_at": utc(row.opened_at),
            "resolved_at": utc(row.resolved_at),
            "hotspot_ids": json.loads(row.hotspot_ids),
            "reason": row.reason,
        }
        for row in rows
    ]


# --- availability ---------------------------------------------------------------------------


async def _periods(session: AsyncSession, hotspot_id: str, start: datetime, end: datetime) -> list[domain.Period]:
    rows = (
        await session.execute(
            select(status_periods)
            .where(
                and_(
                    status_periods.c.hotspot_id == hotspot_id,
                    status_periods.c.started_at < end,
                    (status_periods.c.ended_at.is_(None)) | (status_periods.c.ended_at > start),
                )
            )
            .order_by(status_periods.c.started_at, status_periods.c.id)
        )
    ).all()
    return [domain.Period(row.status, utc(row.started_at), utc(row.ended_at)) for row in rows]


def _uptime(result: domain.Availability) -> dict:
    return {
        "start": result.start,
        "end": result.end,
        "uptime_percent": result.uptime_percent,
        **{f"{status}_s": round(seconds, 3) for status, seconds in result.seconds.items()},
        "not_monitored_s": round(result.not_monitored_s, 3),
    }


async def month_uptime(session: AsyncSession, hotspot_id: str, month: str, *, now: datetime) -> dict:
    """Uptime of one hotspot per local day and for the whole month."""
    hotspot = await get_hotspot(session, hotspot_id)
    start, end = domain.month_bounds(month)
    periods = await _periods(session, hotspot_id, start, end)
    days = [
        {"day": day.isoformat(), **_uptime(domain.availability(periods, lo, hi, now))}
        for day, lo, hi in domain.month_days(month)
    ]
    return {
        "hotspot_id": hotspot_id,
        "site_name": hotspot["site_name"],
        "month": month,
        "total": _uptime(domain.availability(periods, start, end, now)),
        "days": days,
    }


async def all_month_uptime(session: AsyncSession, month: str, *, now: datetime) -> list[dict]:
    return [await month_uptime(session, row["id"], month, now=now) for row in await list_hotspots(session)]


async def _publish_monthly_report(session: AsyncSession, now: datetime) -> None:
    """Once per month, after it ended: the availability of every hotspot that existed in it."""
    month = domain.previous_month(now)
    _, end = domain.month_bounds(month)
    done = (await session.execute(select(monthly_reports.c.month).where(monthly_reports.c.month == month))).first()
    if done:
        return
    existed = (
        await session.execute(select(func.count()).select_from(hotspots).where(hotspots.c.created_at < end))
    ).scalar()
    if not existed:
        return
    await session.execute(monthly_reports.insert().values(month=month, published_at=now))
    entries = []
    for item in await all_month_uptime(session, month, now=now):
        hotspot = await get_hotspot(session, item["hotspot_id"])
        if hotspot["created_at"] >= end:
            continue
        total = item["total"]
        entries.append(
            HotspotAvailability(
                hotspot_id=item["hotspot_id"],
                site_name=item["site_name"],
                uptime_percent=total["uptime_percent"],
                **{key: total[key] for key in ("up_s", "degraded_s", "down_s", "maintenance_s", "not_monitored_s")},
            )
        )
    await add_event(session, outbox, HotspotMonthlyReport(month=month, hotspots=entries))
