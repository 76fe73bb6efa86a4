"""calendar: the events the service heard of, to name them and their series in sentences and forms

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("series", sa.String(100), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_calendar_series", "calendar", ["series"])


def downgrade() -> None:
    op.drop_index("ix_calendar_series", "calendar")
    op.drop_table("calendar")
