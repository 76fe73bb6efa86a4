"""status_months: per site and closed month the figures of the duty report (seconds per status, incidents)

Revision ID: 0008
Revises: 0007

The 36-month duty report read every status period of three years; it now reads one row per closed month
(written by the periodic check) and the raw periods of the open months only (bench/data_growth.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_months",
        sa.Column("hotspot_id", sa.String(36), sa.ForeignKey("hotspots.id"), primary_key=True),
        sa.Column("month", sa.String(10), primary_key=True),
        sa.Column("up_us", sa.BigInteger(), nullable=False),
        sa.Column("degraded_us", sa.BigInteger(), nullable=False),
        sa.Column("down_us", sa.BigInteger(), nullable=False),
        sa.Column("maintenance_us", sa.BigInteger(), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("carried", sa.Integer(), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("status_months")
