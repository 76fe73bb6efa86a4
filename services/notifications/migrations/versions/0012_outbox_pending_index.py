"""outbox: a partial index on the rows that wait for the relay instead of a full one on published_at

Revision ID: 0012
Revises: 0011

The relay finds its rows through the partial index (only rows not yet published or parked), and
marking a row published drops its entry instead of writing one into the full index: one index
write less per published row (bench/README.md, the pipelined relay). Housekeeping walks the primary
key from the oldest row instead (shared/housekeeping.py). Written out here rather than shared, so
that this step never changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PENDING = sa.text("published_at IS NULL AND parked_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_outbox_pending", "outbox", ["seq"], postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_index("ix_outbox_published_at", "outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.drop_index("ix_outbox_pending", "outbox")
