"""outages: each stretch of down and what the office was told of it (several sites together: one incident)

Revision ID: 0006
Revises: 0004

A hotspot's outage waits WIFI_INCIDENT_WINDOW_S before the office hears of it, so that sites failing
together are told as one incident; the decision (`alert`) is stored so that it is taken once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("hotspot_id", sa.String(36), sa.ForeignKey("hotspots.id"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert", sa.String(10), nullable=True),
        sa.Column("incident_id", sa.String(36), nullable=True),
        sa.Column("recovery_announced", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_outages_hotspot", "outages", ["hotspot_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_outages_hotspot", table_name="outages")
    op.drop_table("outages")
