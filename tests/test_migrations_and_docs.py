"""Alembic histories match the models; the checked-in API documents match the code."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from hallobot.docs import drifted
from shared.config import SERVICES
from shared.db import async_url
from shared.migrations import upgrade


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_of_each_service_build_exactly_its_models(service, database_url):
    import importlib

    metadata = importlib.import_module(f"services.{service}.models").metadata
    upgrade(service, database_url)
    upgrade(service, database_url)  # a second run (restart, second instance) changes nothing

    async def differences():
        engine = create_async_engine(async_url(database_url))
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
        await engine.dispose()
        return diff

    assert asyncio.run(differences()) == []


def test_the_openapi_and_asyncapi_documents_in_docs_match_the_code():
    assert drifted() == [], "run `hallobot docs` and commit docs/"
