"""businesses: an index (status, published_at, id) for the search's page of many matches, newest first

Revision ID: 0016
Revises: 0015

A free-text search with more matches than SEARCH_COUNT_CAP lists them newest in the directory first
(queries.py). Read backwards along this index, that page stops after its rows: the published profiles
it passes before the page is full do not depend on the words (as the names do), so for a common word
their number stays the same as the directory grows.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_businesses_status_published_at_id", "businesses", ["status", "published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_businesses_status_published_at_id", table_name="businesses")
