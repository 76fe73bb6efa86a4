"""owner notices: the owner's mail language and the stale period already nudged

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("businesses", sa.Column("owner_language", sa.String(2), nullable=False, server_default="de"))
    op.add_column("businesses", sa.Column("stale_noticed_for", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("businesses") as batch:
        batch.drop_column("stale_noticed_for")
        batch.drop_column("owner_language")
