"""data protection: the office's requests and the services' answers; unsubscribed addresses as hashes

Revision ID: 0010
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("address_ref", sa.String(64), nullable=False),
        sa.Column("address_hint", sa.String(320), nullable=False),
        sa.Column("asked_by", sa.String(100), nullable=False),
        sa.Column("asked_at", TZ, nullable=False),
    )
    op.create_index("ix_privacy_requests_address_ref", "privacy_requests", ["address_ref"])
    op.create_index("ix_privacy_requests_asked_at", "privacy_requests", ["asked_at"])
    op.create_table(
        "privacy_answers",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("service", sa.String(20), primary_key=True),
        sa.Column("answered_at", TZ, nullable=False),
        sa.Column("found", sa.JSON(), nullable=False),
        sa.Column("erased", sa.JSON(), nullable=False),
        sa.Column("kept", sa.JSON(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=True),
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("address_hash", sa.String(64), nullable=True))
        batch.create_index("ix_subscriptions_address_hash", ["address_hash"])


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_index("ix_subscriptions_address_hash")
        batch.drop_column("address_hash")
    op.drop_table("privacy_answers")
    op.drop_table("privacy_requests")
