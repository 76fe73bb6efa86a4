"""The hot path of the store: report rows and the status rows that reports change (bench/reports.py).

Statements are built once per dialect. A transaction reads each hotspot once (locked) and writes its
status row back once, just before the commit, instead of once per report.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.wifi.domain import HotspotState
from services.wifi.models import hotspots
from services.wifi.ports import HostReport, Report

# The reports table as the inserts see it: plain DateTime columns instead of models.reports' UtcDateTime.
# UtcDateTime converts every value in Python on the way in (and the returned times on the way out); for
# a 500-report batch that is a thousand calls more per batch for times that are UTC already. Same table,
# same stored values: SQLite's DATETIME writes the UTC wall time as text, PostgreSQL's timestamptz the
# instant (see bench/reports.py).
_report_rows = Table(
    "reports",
    MetaData(),
    Column("hotspot_id", String(36)),
    Column("reported_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True)),
    Column("uplink_ok", Boolean),
    Column("clients", Integer),
    Column("backhaul_mbps", Float),
    Column("notes", String(500)),
    Column("via", String(10)),
)
_INSERT_REPORT = {  # a duplicate is skipped, and told by the row RETURNING does not give back
    dialect: insert(_report_rows)
    .on_conflict_do_nothing(index_elements=["hotspot_id", "reported_at"])
    .returning(_report_rows.c.reported_at)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
# SQLite: a batch of reports as one JSON parameter, unpacked by json_each. SQLAlchemy's per-row
# parameter handling for a 250-row insert cost more than SQLite's own work (bench/reports.py). The
# report time is written in SQLAlchemy's SQLite DATETIME format, so rows from either insert compare
# equal in the unique key (hotspot_id, reported_at).
_INSERT_REPORTS_SQLITE_JSON = text(
    "INSERT INTO reports (hotspot_id, reported_at, received_at, uplink_ok, clients, backhaul_mbps, notes, via) "
    "SELECT value ->> 0, value ->> 1, :received_at, value ->> 2, value ->> 3, value ->> 4, value ->> 5, :via "
    "FROM json_each(:rows) WHERE true ON CONFLICT (hotspot_id, reported_at) DO NOTHING "
    "RETURNING hotspot_id, reported_at"
).bindparams(bindparam("received_at", type_=_report_rows.c.received_at.type))  # rows come back as stored: text

# PostgreSQL: a batch of reports as one array per column, unpacked by unnest. The multi-row VALUES
# insert that SQLAlchemy builds from an executemany (4,000 parameters for 500 reports, each handled
# in Python) was a quarter of the NATS report consumer's time on PostgreSQL (bench/reports.py).
_INSERT_REPORTS_PG_ARRAYS = text(
    "INSERT INTO reports (hotspot_id, reported_at, received_at, uplink_ok, clients, backhaul_mbps, notes, via) "
    "SELECT hotspot_id, reported_at, :received_at, uplink_ok, clients, backhaul_mbps, notes, :via "
    "FROM unnest(CAST(:hotspot_ids AS VARCHAR[]), CAST(:reported_ats AS TIMESTAMPTZ[]), "
    "CAST(:uplink_oks AS BOOLEAN[]), CAST(:clients AS INTEGER[]), CAST(:backhaul_mbps AS FLOAT8[]), "
    "CAST(:notes AS VARCHAR[])) AS batch (hotspot_id, reported_at, uplink_ok, clients, backhaul_mbps, notes) "
    "ON CONFLICT (hotspot_id, reported_at) DO NOTHING RETURNING hotspot_id, reported_at"
).bindparams(
    bindparam("hotspot_ids", type_=ARRAY(String)),
    bindparam("reported_ats", type_=ARRAY(DateTime(timezone=True))),
    bindparam("uplink_oks", type_=ARRAY(Boolean)),
    bindparam("clients", type_=ARRAY(Integer)),
    bindparam("backhaul_mbps", type_=ARRAY(Float)),
    bindparam("notes", type_=ARRAY(String)),
    bindparam("received_at", type_=DateTime(timezone=True)),
)


def _sqlite_datetime(at: datetime) -> str:
    """A UTC time as SQLAlchemy's SQLite DateTime stores it, `YYYY-MM-DD HH:MM:SS.ffffff`
    (isoformat: about five times faster than the equivalent strftime, which showed in a batch)."""
    return at.replace(tzinfo=None).isoformat(" ", "microseconds")


def _report_row(hotspot_id: str, report: Report, at: datetime, now: datetime, via: str) -> dict[str, Any]:
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


async def insert_report(
    session: AsyncSession, hotspot_id: str, report: Report, at: datetime, now: datetime, via: str
) -> bool:
    """False: a duplicate, not stored. Told by the row RETURNING gives back, not by the row count: the
    statement then always runs at once, even where the transaction's writes wait for the commit."""
    statement = _INSERT_REPORT[session.get_bind().dialect.name]
    # The row as parameters of the statement built once (not `.values(...)`: a new statement per report)
    inserted = await session.execute(statement, _report_row(hotspot_id, report, at, now, via))
    return inserted.first() is not None


async def insert_reports(
    session: AsyncSession, checked: list[tuple[HostReport, datetime]], now: datetime, via: str
) -> set[tuple[str, datetime]]:
    """Insert the batch's report rows (duplicates skipped); returns the (hotspot_id, reported_at) stored."""
    if session.get_bind().dialect.name == "sqlite":
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
    columns = {
        "hotspot_ids": [item.hotspot_id for item, _ in checked],
        "reported_ats": [at for _, at in checked],
        "uplink_oks": [item.report.uplink_ok for item, _ in checked],
        "clients": [item.report.clients for item, _ in checked],
        "backhaul_mbps": [item.report.backhaul_mbps for item, _ in checked],
        "notes": [item.report.notes for item, _ in checked],
    }
    returned = await session.execute(_INSERT_REPORTS_PG_ARRAYS, {**columns, "received_at": now, "via": via})
    return {(hotspot_id, reported_at) for hotspot_id, reported_at in returned}  # asyncpg: aware, UTC


# --- the status rows ------------------------------------------------------------------------------

_STATE_COLUMNS = (
    *("created_at", "status", "status_since", "status_reason", "last_report_at"),
    *("observed", "candidate", "streak", "reports_window_opened_at", "reports_in_window"),
)
# Built once (bind parameters): per batch, building the statements cost a good part of a batch.
_LOCK_REPORTING = (
    select(hotspots.c.id, hotspots.c.token_hash, *(hotspots.c[name] for name in _STATE_COLUMNS))
    .where(hotspots.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(hotspots.c.id)
    .with_for_update()
)
# executemany: the SET clause comes from the parameter keys (the state_values columns)
_WRITE_STATE = hotspots.update().where(hotspots.c.id == bindparam("hotspot_id"))
_REPORTING = "hallobot_wifi_reporting_states"


def state_of(row: Row[Any]) -> HotspotState:
    return HotspotState(
        created_at=row.created_at,
        status=row.status,
        since=row.status_since,
        reason=row.status_reason,
        last_report_at=row.last_report_at,
        observed=row.observed,
        candidate=row.candidate,
        streak=row.streak,
        window_opened_at=row.reports_window_opened_at,
        reports_in_window=row.reports_in_window,
    )


def state_values(state: HotspotState) -> dict[str, Any]:
    return dict(
        status=state.status,
        status_since=state.since,
        status_reason=state.reason,
        last_report_at=state.last_report_at,
        observed=state.observed,
        candidate=state.candidate,
        streak=state.streak,
        reports_window_opened_at=state.window_opened_at,
        reports_in_window=state.reports_in_window,
    )


async def reporting_states(session: AsyncSession, hotspot_ids: set[str]) -> dict[str, tuple[str, HotspotState]]:
    """(token hash, state) per hotspot, read in one statement (locked in id order: no deadlock between
    instances on PostgreSQL) at most once per transaction. Unknown ids are simply absent."""
    states: dict[str, tuple[str, HotspotState]] | None = session.info.get(_REPORTING)
    if states is None:
        states = session.info[_REPORTING] = {}  # written by _write_reporting_states before the commit
    missing = sorted(hotspot_ids - states.keys())
    if missing:
        for row in (await session.execute(_LOCK_REPORTING, {"ids": missing})).all():
            states[row.id] = (row.token_hash, state_of(row))
    return states


@event.listens_for(Session, "before_commit")
def _write_reporting_states(sync_session: Session) -> None:
    """All status rows of the transaction in one executemany (one round trip to the driver). Listens on
    every session once (a dict lookup where no report was taken): listening per session, as it did,
    cost a twentieth of a report's CPU (bench/report_cpu.py)."""
    states = sync_session.info.pop(_REPORTING, {})
    if states:
        sync_session.execute(
            _WRITE_STATE,
            [{"hotspot_id": hotspot_id, **state_values(state)} for hotspot_id, (_, state) in sorted(states.items())],
        )
