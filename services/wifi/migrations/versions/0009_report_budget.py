"""each hotspot's count of reports in its current WIFI_REPORT_LIMIT window, kept in its row

Revision ID: 0009
Revises: 0008

The limit was counted in the service's rate-limit bucket on NATS, one round trip per report on the
hottest path; the hotspot's row is read (locked) and written by every report anyway. Existing hotspots
start with no open window.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hotspots", sa.Column("reports_window_opened_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("hotspots", sa.Column("reports_in_window", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("hotspots") as batch:
        batch.drop_column("reports_in_window")
        batch.drop_column("reports_window_opened_at")
