"""operator accounts: the console's accounts, sessions, API tokens and password-reset links

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _account_id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "account_id", sa.String(36), sa.ForeignKey("operator_accounts.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "operator_accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("last_failed_at", TZ, nullable=True),
        sa.Column("locked_until", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("deleted_at", TZ, nullable=True),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),
        _account_id(),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_index("ix_operator_sessions_account_id", "operator_sessions", ["account_id"])
    op.create_table(
        "operator_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_operator_tokens_account_id", "operator_tokens", ["account_id"])
    op.create_table(
        "password_resets",
        sa.Column("digest", sa.String(64), primary_key=True),
        _account_id(),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
    )
    op.create_index("ix_password_resets_account_id", "password_resets", ["account_id"])


def downgrade() -> None:
    op.drop_table("password_resets")
    op.drop_table("operator_tokens")
    op.drop_table("operator_sessions")
    op.drop_table("operator_accounts")
