"""The console's tables: operator accounts, their sessions and API tokens, password-reset links.

Secrets are stored only as SHA-256 digests (shared.auth.hash_token); passwords as Argon2 hashes
(pwdlib). These tables are the source of truth for the credential index in NATS KV
(shared/console/credentials.py), which the reconcile job rewrites from them."""

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from services.notifications.models import metadata
from shared.db import UtcDateTime

operator_accounts = Table(
    "operator_accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, unique=True),  # lower case; never in an event
    Column("role", String(10), nullable=False),  # admin | office | events | wifi
    Column("password_hash", String(200), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),  # since the last good login
    Column("last_failed_at", UtcDateTime, nullable=True),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # A deleted account keeps its id and role for the audit trail; name and email are erased.
    Column("deleted_at", UtcDateTime, nullable=True),
)

operator_sessions = Table(
    "operator_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column(
        "account_id", String(36), ForeignKey("operator_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("created_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),  # min(seen + idle, created + absolute)
)

operator_tokens = Table(
    "operator_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "account_id", String(36), ForeignKey("operator_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("label", String(100), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

password_resets = Table(
    "password_resets",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column(
        "account_id", String(36), ForeignKey("operator_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)
