"""Tables of the impact monitor and the audit trail: a projection of the public streams (DIRECTORY,
EVENTS, WIFI, FAIRTRADE, NOTIFICATIONS), written only by its own consumers (monitor_projection.py)
and rebuildable from the streams (monitor_rebuild.py). On the service's one metadata (models.py).

Months are stored as `YYYY-MM` in Europe/Berlin when a row is written, so that the figures group in
SQL the same way on SQLite and PostgreSQL."""

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table

from services.notifications.models import metadata
from shared.db import UtcDateTime

# One row: the projection's generation (its consumers' names end in it; a rebuild counts it up).
state = Table(
    "monitor_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("rebuilt_at", UtcDateTime, nullable=True),
)

profiles = Table(
    "monitor_profiles",
    metadata,
    Column("business_id", String(64), primary_key=True),
    Column("self_registered", Boolean, nullable=True),  # null: the sign-up was not heard
    Column("signed_up_at", UtcDateTime, nullable=True),
    Column("signup_month", String(7), nullable=True, index=True),
    Column("published_at", UtcDateTime, nullable=True),  # the first publication
    Column("parts", Integer, nullable=False, default=0),  # bitmask of monitor_rules.PARTS named in updates
    Column("archived", Boolean, nullable=False, default=False),
)

calendar = Table(
    "monitor_calendar",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("series", String(100), nullable=True),
    Column("starts_at", UtcDateTime, nullable=False),
)

registrations = Table(
    "monitor_registrations",
    metadata,
    Column("registration_id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("series", String(100), nullable=True),
    Column("month", String(7), nullable=False, index=True),  # when it came in
    Column("waitlisted", Boolean, nullable=False, default=False),
    Column("promoted_month", String(7), nullable=True),
    Column("cancelled", Boolean, nullable=False, default=False),
)

hotspots = Table(
    "monitor_hotspots",
    metadata,
    Column("hotspot_id", String(64), primary_key=True),
    Column("site_name", String(200), nullable=False),
)

hotspot_changes = Table(
    "monitor_hotspot_changes",
    metadata,
    Column("hotspot_id", String(64), primary_key=True),
    Column("since", UtcDateTime, primary_key=True),
    Column("status", String(15), nullable=False),
)

criteria = Table(
    "monitor_criteria",
    metadata,
    Column("criterion", String(40), primary_key=True),
    Column("at", UtcDateTime, primary_key=True),
    Column("month", String(7), nullable=False),
    Column("met", Boolean, nullable=False),
    Column("count", Integer, nullable=False),
    Column("target", Integer, nullable=False),
)

# Counters by month (deliveries by channel and outcome; attendance of held events by series): the
# inbox makes each event count once.
counts = Table(
    "monitor_counts",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("figure", String(40), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("n", Integer, nullable=False),
)

# Every event that carries the CloudEvents extension attribute `actor`: who changed what, when.
audit = Table(
    "monitor_audit",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("area", String(20), nullable=False),
    Column("type", String(200), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("data", JSON, nullable=False),
)

Index("ix_monitor_audit_at", audit.c.at)
Index("ix_monitor_audit_actor_at", audit.c.actor, audit.c.at)
Index("ix_monitor_registrations_series", registrations.c.series)
