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
    awarded, renewed = sa.column("title_awarded_on", sa.Date), sa.column("title_renewed_on", sa.Date)
    old = sa.table("fairtrade_campaign", sa.column("id"), awarded, renewed)
    row = op.get_bind().execute(sa.select(awarded, renewed).select_from(old).where(old.c.id == 1)).first()
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
    titles = sa.table("fairtrade_titles", sa.column("kind"), sa.column("granted_on", sa.Date))
    campaign = sa.table(
        "fairtrade_campaign", sa.column("id"), sa.column("title_awarded_on", sa.Date), sa.column("title_renewed_on", sa.Date)
    )
    bind = op.get_bind()
    awarded = bind.execute(sa.select(sa.func.min(titles.c.granted_on)).where(titles.c.kind == "awarded")).scalar()
    renewed = bind.execute(sa.select(sa.func.max(titles.c.granted_on)).where(titles.c.kind == "renewed")).scalar()
    bind.execute(campaign.update().where(campaign.c.id == 1).values(title_awarded_on=awarded, title_renewed_on=renewed))
    op.drop_table("fairtrade_titles")
    op.drop_table("fairtrade_meetings")
