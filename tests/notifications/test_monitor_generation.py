"""The projection's guard against a rebuild it has not noticed yet, on SQLite and PostgreSQL: a batch
handled for an older generation writes nothing and fails (so it is handed back, not acknowledged),
while the current generation's batch writes its effects."""

from __future__ import annotations

import pytest

from services.notifications import models_monitor
from services.notifications.monitor_projection import StaleGeneration, subscriptions
from services.notifications.monitor_rebuild import PROJECTION
from shared.catalog import BusinessRegistered
from shared.consumer import Delivery
from shared.db import Database
from shared.migrations import upgrade_async


@pytest.fixture
async def migrated(database_url):
    await upgrade_async("notifications", database_url)
    database = Database(database_url)
    yield database
    await database.dispose()


def registered(business_id: str) -> Delivery:
    event = BusinessRegistered(business_id=business_id, category="handel", self_registered=True).to_event()
    return Delivery(event.id, "hallobot.directory.business.registered." + business_id, event.data, event)


async def profiles(db: Database) -> int:
    from sqlalchemy import func, select

    async with db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(models_monitor.profiles)))


async def test_a_batch_of_an_older_generation_writes_nothing_and_is_handed_back(migrated):
    stale = subscriptions(generation_now=0)[0].batch_handler  # the migration starts at generation 1
    current = subscriptions(generation_now=1)[0].batch_handler
    assert stale is not None and current is not None
    with pytest.raises(StaleGeneration):
        async with migrated.transaction() as session:
            await stale(session, [registered("b-stale")])
    async with migrated.transaction() as session:
        await current(session, [registered("b-current")])
    assert await profiles(migrated) == 1
    assert models_monitor.profiles in PROJECTION  # and a rebuild empties it
