"""deliveries.secret_link (cancel links until sent), business_visibility; no raw cancel token at
rest: sent registration mails lose it, kept registrant links are sealed

Revision ID: 0003
Revises: 0002
"""

import os
import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
# What rows written before this revision hold in their text: the registrant's cancel link with its token.
TOKEN = re.compile(r"([?&#]token=)[^\s<>\"'&]+")


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("secret_link", sa.String(2000), nullable=True))
    op.create_table(
        "business_visibility",
        sa.Column("business_id", sa.String(64), primary_key=True),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
    )
    # Sent registration mails keep their text for the log, not the token of their cancel link.
    deliveries = sa.table(
        "deliveries",
        sa.column("id", sa.String),
        sa.column("template", sa.String),
        sa.column("status", sa.String),
        sa.column("body", sa.Text),
        sa.column("html", sa.Text),
    )
    connection = op.get_bind()
    sent = connection.execute(
        sa.select(deliveries.c.id, deliveries.c.body, deliveries.c.html).where(
            deliveries.c.template == "registration", deliveries.c.status.in_(("sent", "digested"))
        )
    ).all()
    for row in sent:
        body, html = TOKEN.sub(r"\1…", row.body), TOKEN.sub(r"\1…", row.html) if row.html else row.html
        if (body, html) != (row.body, row.html):
            connection.execute(sa.update(deliveries).where(deliveries.c.id == row.id).values(body=body, html=html))
    _seal_kept_links(connection)


def _seal_kept_links(connection: sa.Connection) -> None:
    """Links kept for later mails are sealed with the service's key (as the service would, from its
    environment); with another key the service later unseals nothing, and those mails go without."""
    from services.notifications.config import NotificationsSettings
    from services.notifications.sealed import seal

    key = NotificationsSettings().secret_key.get_secret_value()  # the key the service itself will use
    links = sa.table("registrant_links", sa.column("registration_id", sa.String), sa.column("cancel_url", sa.String))
    for rid, url in connection.execute(sa.select(links.c.registration_id, links.c.cancel_url)).all():
        if url.startswith(("http://", "https://")):
            connection.execute(
                sa.update(links).where(links.c.registration_id == rid).values(cancel_url=seal(key, url))
            )


def downgrade() -> None:
    op.drop_table("business_visibility")
    with op.batch_alter_table("deliveries") as batch:  # SQLite cannot drop a column in place
        batch.drop_column("secret_link")
