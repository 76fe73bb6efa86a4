"""the Fairtrade campaign's history: steering group meetings, and the title's award and renewals as rows

Revision ID: 0010
Revises: 0009

The title was one awarded and one renewed date on the campaign row, each overwritten by the next; now
every award and renewal is a row of fairtrade_titles (the two old dates are carried over) and the
columns go. Steering group meetings (date, topic, number attending) are new.
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fairtrade_meetings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("held_on", sa.Date, nullable=False, index=True),
        sa.Column("topic", sa.String(2000), nullable=False),
        sa.Column("attendees", sa.Integer, nullable=False),
    )
    titles = op.create_table(
        "fairtrade_titles",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("granted_on", sa.Date, nullable=False),
        sa.UniqueConstraint("kind", "granted_on", name="uq_fairtrade_titles_kind_granted_on"),
    )
    row = (
        op.get_bind()
        .execute(sa.text("SELECT title_awarded_on, title_renewed_on FROM fairtrade_campaign WHERE id = 1"))
        .first()
    )
    if row is not None:
        dates = [("awarded", row[0]), ("renewed", row[1])]
        kept = [{"id": str(uuid.uuid4()), "kind": kind, "granted_on": on} for kind, on in dates if on is not None]
        if kept:
            op.bulk_insert(titles, kept)
    with op.batch_alter_table("fairtrade_campaign") as batch:
        batch.drop_column("title_awarded_on")
        batch.drop_column("title_renewed_on")


def downgrade() -> None:
    with op.batch_alter_table("fairtrade_campaign") as batch:
        batch.add_column(sa.Column("title_awarded_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("title_renewed_on", sa.Date, nullable=True))
    bind = op.get_bind()
    awarded = bind.execute(sa.text("SELECT MIN(granted_on) FROM fairtrade_titles WHERE kind = 'awarded'")).scalar()
    renewed = bind.execute(sa.text("SELECT MAX(granted_on) FROM fairtrade_titles WHERE kind = 'renewed'")).scalar()
    bind.execute(
        sa.text("UPDATE fairtrade_campaign SET title_awarded_on = :a, title_renewed_on = :r WHERE id = 1"),
        {"a": awarded, "r": renewed},
    )
    op.drop_table("fairtrade_titles")
    op.drop_table("fairtrade_meetings")
