"""an index on events.ends_at: the public list of events not yet over reads only those

Revision ID: 0008
Revises: 0007

`list_events(after=now)` filters on `ends_at >= now` and orders by the start. Without this index the
database walked the start index from the oldest event, past the whole archive of events that are over
(bench/data_growth.py: 4.5× the time for 10× the registrations and events).
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_ends_at", "events", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_events_ends_at", table_name="events")
