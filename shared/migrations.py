"""Alembic migrations per service: each service has services/<name>/migrations/ with its history.

A database already at the newest revision is recognised without alembic (`is_at_head`): its revision
table against the revisions named in the migration files. alembic (with mako and pygments: ~12 MiB
and about a tenth of a service's start-up) is then never loaded; see bench/README.md, "Start-up and
memory"."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url, sqlite_journal

if TYPE_CHECKING:
    from alembic.config import Config

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"
MIGRATION_LOCK_KEY = 0x6A11_0B07  # PostgreSQL advisory lock: one instance migrates at a time


def alembic_config(service: str, url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.attributes["database_url"] = async_url(url)
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Bring `service`'s database to `revision` (safe to run from several instances at once)."""
    if revision == "head" and asyncio.run(is_at_head(service, url)):
        return
    _upgrade_with_alembic(service, url, revision)


async def upgrade_async(service: str, url: str) -> None:
    if not await is_at_head(service, url):
        await asyncio.to_thread(_upgrade_with_alembic, service, url, "head")


def _upgrade_with_alembic(service: str, url: str, revision: str) -> None:
    load_alembic().upgrade(alembic_config(service, url), revision)


def load_alembic() -> ModuleType:
    """alembic's commands, loaded without pygments (`_without_pygments`); `hallobot up`'s fork server
    loads them once for all four services (hallobot/shared_code.py)."""
    with _without_pygments():
        from alembic import command
        from alembic.config import Config  # noqa: F401  # what alembic_config() loads
        from alembic.runtime import migration  # noqa: F401  # what an upgrade loads next
        from alembic.script import ScriptDirectory  # noqa: F401
    return command


@contextlib.contextmanager
def _without_pygments() -> Iterator[None]:
    """Load alembic without pygments: alembic's template engine (mako) colours its own error pages
    with it when it is installed, which cost each service 6 MiB and a fifth of a second at its first
    start; mako then shows them plain. Later imports of pygments are unaffected."""
    if "pygments" in sys.modules:
        yield
        return
    sys.modules["pygments"] = None  # type: ignore[assignment]  # an import of it now fails at once
    try:
        yield
    finally:
        if sys.modules.get("pygments", "") is None:
            del sys.modules["pygments"]


def head_revisions(service: str) -> frozenset[str]:
    """The newest revision(s) of `service`'s history, as `alembic heads` names them: every revision in
    its versions/ that no other revision names as its `down_revision`. Read from the files' module
    constants, without importing them (nor alembic)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (SERVICES_DIR / service / "migrations" / "versions").glob("*.py"):
        constants = _constants(path)
        revisions.add(str(constants["revision"]))
        down = constants.get("down_revision")
        parents.update([down] if isinstance(down, str) else (str(one) for one in down or ()))
    return frozenset(revisions - parents)


def _constants(path: Path) -> dict[str, Any]:
    """`revision` and `down_revision` as the file assigns them (a string, a tuple of them, or None)."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            found[target.id] = ast.literal_eval(value)
    return found


async def is_at_head(service: str, url: str) -> bool:
    """True when the database's alembic revision table names exactly the head(s) of `service`'s
    history; False for a new database (no table) or an older one. An unreachable database raises."""
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            if not await connection.run_sync(lambda sync: sa.inspect(sync).has_table("alembic_version")):
                return False
            current = (await connection.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars()
            return frozenset(current) == head_revisions(service)
    finally:
        await engine.dispose()


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    from alembic import context

    url = context.config.attributes["database_url"]

    def run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        if engine.dialect.name == "sqlite":  # the service's journal, not its transactions nor foreign keys
            sa.event.listen(engine.sync_engine, "connect", lambda connection, _record: sqlite_journal(connection))
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(run_async())


def create_outbox_and_inbox() -> None:
    """Migration step shared by every service's first revision."""
    from alembic import op

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
    from alembic import op

    op.drop_table("inbox")
    op.drop_index("ix_outbox_published_at", "outbox")
    op.drop_table("outbox")
