"""business profiles and the Fairtrade-Town campaign

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BOTTROP_POPULATION = 117_000


def upgrade() -> None:
    op.create_table(
        "businesses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("offerings", sa.JSON, nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("website", sa.String(300), nullable=True),
        sa.Column("street", sa.String(200), nullable=True),
        sa.Column("postal_code", sa.String(5), nullable=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("opening_hours", sa.String(500), nullable=True),
        sa.Column("delivery", sa.Boolean, nullable=False),
        sa.Column("pickup", sa.Boolean, nullable=False),
        sa.Column("accepts_gutschein", sa.Boolean, nullable=False),
        sa.Column("online_shop", sa.Boolean, nullable=False),
        sa.Column("fairtrade_products", sa.Integer, nullable=False),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("owner_email", sa.String(254), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("self_registered", sa.Boolean, nullable=False),
        sa.Column("edit_token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("search_folded", sa.Text, nullable=False),
    )
    op.create_index("ix_businesses_status_category", "businesses", ["status", "category"])
    campaign = op.create_table(
        "fairtrade_campaign",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("council_resolution_on", sa.Date, nullable=True),
        sa.Column("council_resolution_text", sa.String(5000), nullable=True),
        sa.Column("steering_group", sa.JSON, nullable=False),
        sa.Column("title_awarded_on", sa.Date, nullable=True),
        sa.Column("title_renewed_on", sa.Date, nullable=True),
        sa.Column("criteria_met", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.bulk_insert(campaign, [{"id": 1, "population": BOTTROP_POPULATION, "steering_group": [], "criteria_met": {}}])
    op.create_table(
        "fairtrade_actions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("action", sa.String(500), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
    )
    op.create_index("ix_fairtrade_actions_held_on", "fairtrade_actions", ["held_on"])
    op.create_table(
        "fairtrade_press",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("outlet", sa.String(200), nullable=False),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("published_on", sa.Date, nullable=False),
    )
    op.create_index("ix_fairtrade_press_published_on", "fairtrade_press", ["published_on"])
    op.create_table(
        "fairtrade_reminders",
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("expires_on", "days"),
    )


def downgrade() -> None:
    op.drop_table("fairtrade_reminders")
    op.drop_index("ix_fairtrade_press_published_on", "fairtrade_press")
    op.drop_table("fairtrade_press")
    op.drop_index("ix_fairtrade_actions_held_on", "fairtrade_actions")
    op.drop_table("fairtrade_actions")
    op.drop_table("fairtrade_campaign")
    op.drop_index("ix_businesses_status_category", "businesses")
    op.drop_table("businesses")
