"""business changes: owner edits of published profiles that wait for the office's review

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
        "business_changes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("business_id", sa.String(36), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(1000), nullable=True),
    )
    op.create_index("ix_business_changes_business_id", "business_changes", ["business_id"])
    op.create_index("ix_business_changes_status_proposed_at", "business_changes", ["status", "proposed_at"])


def downgrade() -> None:
    op.drop_index("ix_business_changes_status_proposed_at", table_name="business_changes")
    op.drop_index("ix_business_changes_business_id", table_name="business_changes")
    op.drop_table("business_changes")
