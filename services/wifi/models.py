"""Tables of the wifi service; it owns this database and no other service reads it.

History (reports, status periods, maintenance windows, incidents) is kept, never pruned:
Wifi4EU asks the city to prove availability for three years. Every time is a `UtcDateTime`: aware UTC
in and out, on SQLite too (the batch insert of reports writes the same text itself: store_reports.py).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import UtcDateTime
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

hotspots = Table(
    "hotspots",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("site_name", String(200), nullable=False),
    Column("host_business", String(200), nullable=False),
    Column("address", String(300), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("ap_model", String(100), nullable=False),
    Column("ap_serial", String(100), nullable=False),
    Column("ap_mac", String(17), nullable=False),
    Column("placement", String(10), nullable=False),
    Column("report_interval_s", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    # status aggregate (services/wifi/domain.py HotspotState)
    Column("status", String(20), nullable=True),
    Column("status_since", UtcDateTime(), nullable=True),
    Column("status_reason", String(300), nullable=False, default=""),
    Column("last_report_at", UtcDateTime(), nullable=True),
    Column("observed", String(20), nullable=True),
    Column("candidate", String(20), nullable=True),
    Column("streak", Integer, nullable=False, default=0),
    # WIFI_REPORT_LIMIT per hotspot, counted with the state it is read and written with (HotspotState)
    Column("reports_window_opened_at", UtcDateTime(), nullable=True),
    Column("reports_in_window", Integer, nullable=False, default=0, server_default="0"),
    # the Wifi4EU obligation period's first day, when the office set one (else the day of registration)
    Column("duty_start", Date, nullable=True),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hotspot_id", String(36), ForeignKey("hotspots.id"), nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("uplink_ok", Boolean, nullable=False),
    Column("clients", Integer, nullable=False),
    Column("backhaul_mbps", Float, nullable=True),
    Column("notes", String(500), nullable=True),
    Column("via", String(10), nullable=False),
    UniqueConstraint("hotspot_id", "reported_at", name="uq_reports_hotspot_time"),
)

status_periods = Table(
    "status_periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hotspot_id", String(36), ForeignKey("hotspots.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", String(300), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Index("ix_status_periods_hotspot_start", "hotspot_id", "started_at"),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("hotspot_id", String(36), ForeignKey("hotspots.id"), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False),
    Column("note", String(500), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_maintenance_windows_hotspot", "hotspot_id", "starts_at"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    Column("hotspot_ids", Text, nullable=False),
    Column("reason", String(300), nullable=False),
)

# Each stretch of `down` of a hotspot, and what the office was told of it (services/wifi/domain.py, "outages"):
# `alert` null while its incident window is open, then "incident", "alone" or "none" (back in time).
outages = Table(
    "outages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("hotspot_id", String(36), ForeignKey("hotspots.id"), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("noticed_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("alert", String(10), nullable=True),
    Column("incident_id", String(36), nullable=True),
    Column("recovery_announced", Boolean, nullable=False, default=False),
    Index("ix_outages_hotspot", "hotspot_id", "started_at"),
)

monthly_reports = Table(
    "monthly_reports",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("published_at", UtcDateTime(), nullable=False),
)

# Per site and closed calendar month (Europe/Berlin; `month` YYYY-MM, or YYYY-MM-DD for the rest of the
# month from the duty's first day when that is not the 1st), what the duty report needs of it (domain_duty.py,
# `MonthTally`): time per status in microseconds (exact, so the sums equal a count over the raw periods),
# the down periods that touch the month (`incidents`), and of those the one begun before it (`carried`:
# counted in the month before as well, so a total counts it once). Written by the periodic check once the
# month is older than WIFI_MAX_REPORT_AGE_S (handlers_status.roll_up_months); a status change dated back
# into it (a maintenance window entered afterwards) deletes it, and the next check writes it again.
status_months = Table(
    "status_months",
    metadata,
    Column("hotspot_id", String(36), ForeignKey("hotspots.id"), primary_key=True),
    Column("month", String(10), primary_key=True),
    Column("up_us", BigInteger, nullable=False),
    Column("degraded_us", BigInteger, nullable=False),
    Column("down_us", BigInteger, nullable=False),
    Column("maintenance_us", BigInteger, nullable=False),
    Column("incidents", Integer, nullable=False),
    Column("carried", Integer, nullable=False),
    Column("rolled_at", UtcDateTime(), nullable=False),
)
