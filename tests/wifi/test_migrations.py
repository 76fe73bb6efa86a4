"""A wifi database with rows written at revision 0002 (DateTime columns, the zone fixed up by hand on
reading) reads the same instants back at head (UtcDateTime columns), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from services.wifi import models
from shared.db import Database
from shared.migrations import upgrade

T = datetime(2025, 3, 30, 0, 59, 59, 123456, tzinfo=UTC)  # the night the clocks go forward in Bottrop
ROWS = {
    "hotspots": {
        "id": "h1",
        "site_name": "Kirchplatz",
        "host_business": "Café",
        "address": "Kirchplatz 1",
        "latitude": 51.52,
        "longitude": 6.93,
        "ap_model": "AP",
        "ap_serial": "S1",
        "ap_mac": "00:11:22:33:44:55",
        "placement": "outdoor",
        "report_interval_s": 60,
        "token_hash": "0" * 64,
        "created_at": T - timedelta(days=30),
        "status": "up",
        "status_since": T,
        "status_reason": "Meldung ok / report ok",
        "last_report_at": T + timedelta(seconds=1),
        "observed": "up",
        "candidate": None,
        "streak": 0,
    },
    "reports": {
        "hotspot_id": "h1",
        "reported_at": T + timedelta(seconds=1),
        "received_at": T + timedelta(seconds=2),
        "uplink_ok": True,
        "clients": 3,
        "backhaul_mbps": 80.0,
        "notes": None,
        "via": "nats",
    },
    "status_periods": {
        "hotspot_id": "h1",
        "status": "up",
        "reason": "ok",
        "started_at": T,
        "ended_at": T + timedelta(hours=2),
    },
    "maintenance_windows": {
        "id": "w1",
        "hotspot_id": "h1",
        "starts_at": T + timedelta(hours=1),
        "ends_at": T + timedelta(hours=3),
        "note": "Firmware",
        "created_at": T - timedelta(days=1),
    },
    "incidents": {
        "id": "i1",
        "opened_at": T - timedelta(hours=5),
        "resolved_at": T - timedelta(hours=4, microseconds=1),
        "hotspot_ids": '["h1"]',
        "reason": "all silent",
    },
    "monthly_reports": {"month": "2025-02", "published_at": T - timedelta(days=29)},
}
TIMES = {
    table: {key: value for key, value in row.items() if isinstance(value, datetime)} for table, row in ROWS.items()
}


async def test_rows_written_at_0002_read_the_same_instants_back_at_head(database_url):
    await asyncio.to_thread(upgrade, "wifi", database_url, "0002")
    database = Database(database_url)
    try:
        async with database.engine.begin() as conn:
            legacy = sa.MetaData()
            await conn.run_sync(legacy.reflect)  # the tables as 0002 made them, written as the code did then
            for table, row in ROWS.items():
                await conn.execute(legacy.tables[table].insert().values(**row))
            if conn.dialect.name == "postgresql":  # a column made timezone-naive by hand keeps its instants too
                await conn.execute(
                    sa.text(
                        "ALTER TABLE incidents ALTER COLUMN resolved_at TYPE TIMESTAMP WITHOUT TIME ZONE "
                        "USING resolved_at AT TIME ZONE 'UTC'"
                    )
                )
        await database.dispose()
        await asyncio.to_thread(upgrade, "wifi", database_url, "head")
        async with database.reading() as session:
            for table, times in TIMES.items():
                columns = [models.metadata.tables[table].c[name] for name in times]
                read = (await session.execute(select(*columns))).one()._asdict()
                assert read == times, table
                assert all(value.utcoffset() == timedelta(0) for value in read.values()), table
        if database.engine.dialect.name == "postgresql":
            async with database.engine.connect() as conn:
                naive = await conn.run_sync(_naive_time_columns)
            assert naive == []  # timestamptz everywhere: written instants cannot depend on a session's zone
    finally:
        await database.dispose()


def _naive_time_columns(conn: sa.Connection) -> list[str]:
    inspector = sa.inspect(conn)
    return [
        f"{table}.{column['name']}"
        for table in TIMES
        for column in inspector.get_columns(table)
        if isinstance(column["type"], sa.DateTime) and not column["type"].timezone
    ]
