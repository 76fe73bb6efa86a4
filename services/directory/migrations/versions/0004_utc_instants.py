"""every instant of the directory in one UTC form (the UtcDateTime column type)

The columns keep their type (TIMESTAMP WITH TIME ZONE); what changes is how the service reads and
writes them. On SQLite, which stores text, every value is rewritten in the one form UtcDateTime writes
(naive UTC, `YYYY-MM-DD HH:MM:SS.ffffff`): values written by hand in ISO form or with an offset are
converted to that instant in UTC, so SQL comparisons (the stale nudge compares `touched_at`) agree.
On PostgreSQL a column found without time zone (created by hand) is converted, reading it as UTC.

Revision ID: 0004
Revises: 0003
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INSTANTS = {
    "businesses": ("created_at", "updated_at", "touched_at", "published_at", "stale_noticed_for"),
    "fairtrade_campaign": ("updated_at",),
    "fairtrade_reminders": ("sent_at",),
}


def canonical(value: str) -> str:
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
    )


def _sqlite(bind: Connection) -> None:
    for table, columns in INSTANTS.items():
        for column in columns:
            rows = bind.execute(sa.text(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
            for rowid, value in rows:
                if isinstance(value, str) and canonical(value) != value:
                    bind.execute(
                        sa.text(f"UPDATE {table} SET {column} = :value WHERE rowid = :rowid"),
                        {"value": canonical(value), "rowid": rowid},
                    )


def _postgresql(bind: Connection) -> None:
    for table, columns in INSTANTS.items():
        for column in columns:
            kind = bind.execute(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = :table AND column_name = :column"
                ),
                {"table": table, "column": column},
            ).scalar_one()
            if kind == "timestamp without time zone":
                op.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TIMESTAMP WITH TIME ZONE "
                    f"USING {column} AT TIME ZONE 'UTC'"
                )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite(bind)
    elif bind.dialect.name == "postgresql":
        _postgresql(bind)


def downgrade() -> None:
    pass  # the UTC form is also what the former column type reads
