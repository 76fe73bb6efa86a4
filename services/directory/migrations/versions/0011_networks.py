"""networks, network_members, network_announcements: the Wirtschaftsallianz and the Fachkräftesicherung

Revision ID: 0011
Revises: 0009

The two networks are fixed and seeded here; businesses of the directory are their members. A network's
meetings are the events of the events service in the series `meeting_series`.
"""

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SEED = [
    {
        "slug": "wirtschaftsallianz",
        "name": "Wirtschaftsallianz Bottrop",
        "meeting_series": "Wirtschaftsallianz",
        "position": 1,
    },
    {
        "slug": "fachkraeftesicherung",
        "name": "Netzwerk Fachkräftesicherung",
        "meeting_series": "Fachkräftesicherung",
        "position": 2,
    },
]


def upgrade() -> None:
    networks = op.create_table(
        "networks",
        sa.Column("slug", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("meeting_series", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.bulk_insert(networks, SEED)
    op.create_table(
        "network_members",
        sa.Column("network", sa.String(40), nullable=False),
        sa.Column("business_id", sa.String(36), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("network", "business_id"),
    )
    op.create_index("ix_network_members_business_id", "network_members", ["business_id"])
    op.create_table(
        "network_announcements",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("network", sa.String(40), nullable=False),
        sa.Column("headline", sa.String(200), nullable=False),
        sa.Column("message", sa.String(5000), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_network_announcements_network_sent_at", "network_announcements", ["network", "sent_at"])


def downgrade() -> None:
    op.drop_table("network_announcements")
    op.drop_index("ix_network_members_business_id", "network_members")
    op.drop_table("network_members")
    op.drop_table("networks")
