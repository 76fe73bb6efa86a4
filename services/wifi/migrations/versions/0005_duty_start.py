"""the start day of a hotspot's Wifi4EU obligation period, when the office set one

Revision ID: 0005
Revises: 0004

Null: the duty begins on the local day the hotspot was registered (services/wifi/domain_duty.py), so
existing hotspots need no value.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hotspots", sa.Column("duty_start", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hotspots") as batch:
        batch.drop_column("duty_start")
