"""every time column read and written as UtcDateTime (aware UTC, on SQLite too)

Revision ID: 0003
Revises: 0002

The stored values stay as they are. UtcDateTime renders the column types that 0002 created with
DateTime(timezone=True): DATETIME on SQLite (text holding the UTC wall time, which is what the service has
always written) and TIMESTAMP WITH TIME ZONE on PostgreSQL. It changes only how the code reads them (aware
UTC on SQLite too, where the zone used to be put back by hand) and writes them (converted to UTC first). So
nothing is rewritten. On PostgreSQL a column that someone made `timestamp without time zone` (by hand, or
with an older tool) becomes timestamptz again, its values read as UTC, so that every instant stays.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIME_COLUMNS = {
    "hotspots": ("created_at", "status_since", "last_report_at"),
    "reports": ("reported_at", "received_at"),
    "status_periods": ("started_at", "ended_at"),
    "maintenance_windows": ("starts_at", "ends_at", "created_at"),
    "incidents": ("opened_at", "resolved_at"),
    "monthly_reports": ("published_at",),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table, columns in TIME_COLUMNS.items():
        types = {column["name"]: column["type"] for column in inspector.get_columns(table)}
        for column in columns:
            if not getattr(types[column], "timezone", False):
                op.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TIMESTAMP WITH TIME ZONE "
                    f"USING {column} AT TIME ZONE 'UTC'"
                )


def downgrade() -> None:
    """Nothing to undo: the columns keep their type and their values."""
