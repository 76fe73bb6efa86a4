"""businesses: an index for the search page's list (status, name, id)

Revision ID: 0008
Revises: 0007

The directory's search page lists published profiles by name, 20 at a time. Without this index every
request read and sorted every published row (5,000 in bench/frontdoor.py); with it the page is read in
order along the index.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_businesses_status_name_id", "businesses", ["status", "name", "id"])


def downgrade() -> None:
    op.drop_index("ix_businesses_status_name_id", table_name="businesses")
