"""businesses.offer: the delivery and pickup offer (the Louise city logistics project)

Revision ID: 0012
Revises: 0011

A JSON value (services/directory/offers.py): delivery area by postal code, time windows, minimum
order, pickup point, lead time. Existing profiles have none until the owner or the office adds one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("businesses", sa.Column("offer", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("businesses", "offer")
