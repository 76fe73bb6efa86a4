"""Alembic migrations per service: each service has services/<name>/migrations/ with its history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
MIGRATION_LOCK_KEY = 0x6A11_0B07  # PostgreSQL advisory lock: one instance migrates at a time


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.attributes["database_url"] = async_url(url)
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Bring `service`'s database to `revision` (safe to run from several instances at once)."""
    command.upgrade(alembic_config(service, url), revision)


async def upgrade_async(service: str, url: str) -> None:
    await asyncio.to_thread(upgrade, service, url)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.attributes["database_url"]

    def run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(run_async())


def create_outbox_and_inbox() -> None:
    """Migration step shared by every service's first revision."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id"),
    )


def drop_outbox_and_inbox() -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_published_at", "outbox")
    op.drop_table("outbox")
