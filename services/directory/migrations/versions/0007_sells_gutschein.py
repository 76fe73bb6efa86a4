"""businesses.sells_gutschein: the shop sells the Bottrop-Gutschein (besides accepting it)

Revision ID: 0007
Revises: 0006

Existing profiles do not sell it until the owner or the office says so.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("businesses", sa.Column("sells_gutschein", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("businesses", "sells_gutschein")
