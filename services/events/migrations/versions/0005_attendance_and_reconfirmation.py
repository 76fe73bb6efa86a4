"""check-in at the door, the attendance summary, and reconfirmation two days before

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EVENT_COLUMNS = ("reconfirm_asked_at", "reconfirm_released_at", "attendance_closed_at")
REGISTRATION_COLUMNS = ("attended_at", "reconfirm_requested_at", "reconfirmed_at", "released_at")


def upgrade() -> None:
    op.add_column("events", sa.Column("reconfirm", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("events", sa.Column("reconfirm_days_before", sa.Integer(), nullable=False, server_default="2"))
    for name in EVENT_COLUMNS:
        op.add_column("events", sa.Column(name, UtcDateTime(), nullable=True))
    op.add_column("registrations", sa.Column("reconfirm_token_hash", sa.String(64), nullable=True))
    for name in REGISTRATION_COLUMNS:
        op.add_column("registrations", sa.Column(name, UtcDateTime(), nullable=True))
    # Events that ended before check-in existed had no list at the door: no summary for them.
    events = sa.table("events", sa.column("ends_at", UtcDateTime()), sa.column("attendance_closed_at", UtcDateTime()))
    now = datetime.now(UTC)
    op.execute(events.update().where(events.c.ends_at < now).values(attendance_closed_at=now))


def downgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        for name in (*REGISTRATION_COLUMNS, "reconfirm_token_hash"):
            batch.drop_column(name)
    with op.batch_alter_table("events") as batch:
        for name in (*EVENT_COLUMNS, "reconfirm_days_before", "reconfirm"):
            batch.drop_column(name)
