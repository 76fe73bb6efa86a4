"""impact monitor and audit trail: the projection of the public streams (monitor_*)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
TABLES = (
    "monitor_audit",
    "monitor_counts",
    "monitor_criteria",
    "monitor_hotspot_changes",
    "monitor_hotspots",
    "monitor_registrations",
    "monitor_calendar",
    "monitor_profiles",
    "monitor_state",
)


def upgrade() -> None:
    state = op.create_table(
        "monitor_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("rebuilt_at", TZ, nullable=True),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 1, "rebuilt_at": None}])
    op.create_table(
        "monitor_profiles",
        sa.Column("business_id", sa.String(64), primary_key=True),
        sa.Column("self_registered", sa.Boolean, nullable=True),
        sa.Column("signed_up_at", TZ, nullable=True),
        sa.Column("signup_month", sa.String(7), nullable=True),
        sa.Column("published_at", TZ, nullable=True),
        sa.Column("parts", sa.Integer, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
    )
    op.create_index("ix_monitor_profiles_signup_month", "monitor_profiles", ["signup_month"])
    op.create_table(
        "monitor_calendar",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("series", sa.String(100), nullable=True),
        sa.Column("starts_at", TZ, nullable=False),
    )
    op.create_table(
        "monitor_registrations",
        sa.Column("registration_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("series", sa.String(100), nullable=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("waitlisted", sa.Boolean, nullable=False),
        sa.Column("promoted_month", sa.String(7), nullable=True),
        sa.Column("cancelled", sa.Boolean, nullable=False),
    )
    op.create_index("ix_monitor_registrations_month", "monitor_registrations", ["month"])
    op.create_index("ix_monitor_registrations_series", "monitor_registrations", ["series"])
    op.create_table(
        "monitor_hotspots",
        sa.Column("hotspot_id", sa.String(64), primary_key=True),
        sa.Column("site_name", sa.String(200), nullable=False),
    )
    op.create_table(
        "monitor_hotspot_changes",
        sa.Column("hotspot_id", sa.String(64), primary_key=True),
        sa.Column("since", TZ, primary_key=True),
        sa.Column("status", sa.String(15), nullable=False),
    )
    op.create_table(
        "monitor_criteria",
        sa.Column("criterion", sa.String(40), primary_key=True),
        sa.Column("at", TZ, primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("met", sa.Boolean, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("target", sa.Integer, nullable=False),
    )
    op.create_table(
        "monitor_counts",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("figure", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    op.create_table(
        "monitor_audit",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("area", sa.String(20), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_monitor_audit_at", "monitor_audit", ["at"])
    op.create_index("ix_monitor_audit_actor_at", "monitor_audit", ["actor", "at"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
