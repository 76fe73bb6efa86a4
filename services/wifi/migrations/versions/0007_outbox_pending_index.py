"""outbox: a partial index on the rows that wait for the relay instead of a full one on published_at

Revision ID: 0007
Revises: 0006

The relay finds its rows through the partial index (only rows not yet published or parked), and
marking a row published drops its entry instead of writing one into the full index: one index
write less per published row (bench/README.md, the pipelined relay). Housekeeping walks the primary
key from the oldest row instead (shared/housekeeping.py). Written out here rather than shared, so
that this step never changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PENDING = sa.text("published_at IS NULL AND parked_at IS NULL")


def upgrade() -> None:
    _lock_the_table_first()
    op.create_index("ix_outbox_pending", "outbox", ["seq"], postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_index("ix_outbox_published_at", "outbox")


def downgrade() -> None:
    _lock_the_table_first()
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.drop_index("ix_outbox_pending", "outbox")


def _lock_the_table_first() -> None:
    """PostgreSQL: the strongest lock this step needs, before anything else. CREATE INDEX takes a share
    lock and DROP INDEX then an exclusive one; a running service (a rolling upgrade migrates under
    it) that has read the outbox in a transaction and then writes it waits for the first while it holds
    what blocks the second: a deadlock, and PostgreSQL aborted the migration (seen in
    tests/faults/test_rolling_upgrade.py). Taken first, the step waits for those transactions to end."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
