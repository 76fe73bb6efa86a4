"""Alembic histories match the models; the checked-in API documents match the code."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from hallobot.docs import drifted
from shared.config import SERVICES
from shared.db import async_url
from shared.migrations import alembic_config, head_revisions, is_at_head, upgrade


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_of_each_service_build_exactly_its_models(service, database_url):
    import importlib

    models = importlib.import_module(f"services.{service}.models")
    metadata = models.metadata
    # what a service's migrations keep outside its metadata on purpose (database-specific indexes)
    outside = tuple(getattr(models, "OUTSIDE_METADATA", ()))

    def ours(name, _type, _parent) -> bool:
        return not (name or "").startswith(outside)

    def compare(sync):
        return compare_metadata(MigrationContext.configure(sync, opts={"include_name": ours}), metadata)

    upgrade(service, database_url)
    upgrade(service, database_url)  # a second run (restart, second instance) changes nothing

    async def differences():
        engine = create_async_engine(async_url(database_url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(compare)
        await engine.dispose()
        return diff

    assert asyncio.run(differences()) == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_head_read_from_the_migration_files_is_the_one_alembic_names(service):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(service, "sqlite:///unused.sqlite3"))
    assert head_revisions(service) == frozenset(script.get_heads())


def test_a_database_is_at_its_head_only_once_every_revision_is_applied(database_url):
    """What lets a restart skip alembic: a new database and one a revision behind are not at the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("events", database_url))
    (head,) = script.get_heads()
    before_head = script.get_revision(head).down_revision
    assert not asyncio.run(is_at_head("events", database_url))
    upgrade("events", database_url, before_head)
    assert not asyncio.run(is_at_head("events", database_url))
    upgrade("events", database_url)
    assert asyncio.run(is_at_head("events", database_url))


def test_a_new_sqlite_database_is_migrated_in_the_journal_the_service_then_uses(tmp_path):
    """WAL with synchronous=NORMAL from the first DDL statement on (shared.db.sqlite_journal): the
    migrations of a new database no longer wait for the disk at every statement."""
    import sqlite3

    path = tmp_path / "wifi.sqlite3"
    upgrade("wifi", f"sqlite+aiosqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_the_openapi_and_asyncapi_documents_in_docs_match_the_code():
    assert drifted() == [], "run `hallobot docs` and commit docs/"
