"""events, consultation slots and registrations

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("series", sa.String(200), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("ends_at", UtcDateTime, nullable=False),
        sa.Column("venue", sa.String(300), nullable=True),
        sa.Column("online_url", sa.String(500), nullable=True),
        sa.Column("capacity", sa.Integer, nullable=True),
        sa.Column("waitlist", sa.Boolean, nullable=False),
        sa.Column("registration_opens_at", UtcDateTime, nullable=True),
        sa.Column("registration_closes_at", UtcDateTime, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("reminded_at", UtcDateTime, nullable=True),
        sa.Column("erased_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_events_series", "events", ["series"])
    op.create_index("ix_events_starts_at", "events", ["starts_at"])
    op.create_table(
        "slots",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("starts_at", UtcDateTime, nullable=False),
        sa.Column("ends_at", UtcDateTime, nullable=False),
        sa.Column("expert", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("registration_id", sa.String(32), nullable=True, unique=True),
    )
    op.create_index("ix_slots_event_id", "slots", ["event_id"])
    op.create_table(
        "registrations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(32), sa.ForeignKey("events.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("slot_id", sa.String(32), sa.ForeignKey("slots.id"), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("email_key", sa.String(320), nullable=True),
        sa.Column("organisation", sa.String(200), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("consent_at", UtcDateTime, nullable=False),
        sa.Column("cancel_token_hash", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("promoted_at", UtcDateTime, nullable=True),
        sa.Column("cancelled_at", UtcDateTime, nullable=True),
        sa.UniqueConstraint("event_id", "seq", name="uq_registrations_event_seq"),
    )
    op.create_index("ix_registrations_event_status", "registrations", ["event_id", "status"])
    op.create_index("ix_registrations_event_email", "registrations", ["event_id", "email_key"])


def downgrade() -> None:
    op.drop_table("registrations")
    op.drop_table("slots")
    op.drop_table("events")
