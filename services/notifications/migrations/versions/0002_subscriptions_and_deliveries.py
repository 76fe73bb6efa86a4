"""subscriptions, deliveries, webhook allowlist, registrant links, hotspot status

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(320), nullable=True),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("secret", sa.String(100), nullable=True),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("digest", sa.String(10), nullable=False),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
    )
    op.create_index("ix_subscriptions_status", "subscriptions", ["status"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(120), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(2000), nullable=False),
        sa.Column("recipient_ref", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.String(36), nullable=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=True),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.UniqueConstraint("event_id", "recipient_ref", "template", name="uq_deliveries_once"),
    )
    op.create_index("ix_deliveries_subscription_id", "deliveries", ["subscription_id"])
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "webhook_allowlist",
        sa.Column("entry", sa.String(255), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "registrant_links",
        sa.Column("registration_id", sa.String(64), primary_key=True),
        sa.Column("cancel_url", sa.String(2000), nullable=False),
        sa.Column("forget_after", TZ, nullable=False),
    )
    op.create_index("ix_registrant_links_forget_after", "registrant_links", ["forget_after"])
    op.create_table(
        "hotspots",
        sa.Column("hotspot_id", sa.String(64), primary_key=True),
        sa.Column("site_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(15), nullable=True),
        sa.Column("since", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("hotspots")
    op.drop_index("ix_registrant_links_forget_after", "registrant_links")
    op.drop_table("registrant_links")
    op.drop_table("webhook_allowlist")
    op.drop_index("ix_deliveries_due", "deliveries")
    op.drop_index("ix_deliveries_subscription_id", "deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_subscriptions_status", "subscriptions")
    op.drop_table("subscriptions")
