"""outbox rows that can never be published are parked with their reason

Revision ID: 0004
Revises: 0003

The relay skips a parked row and goes on with the rows behind it (shared/relay/); the row stays for
an operator to look at. Written out here rather than shared, so that this step never changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("park_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("park_reason")
        batch.drop_column("parked_at")
