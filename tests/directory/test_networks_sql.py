"""The networks' use cases on SQLite and PostgreSQL (migration 0011 seeds the two networks): joining
twice, even at once, stages one event; a message and an invitation reach the members with an owner
address; the reads the pages use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from services.directory import handlers, network_handlers, network_queries
from services.directory.config import DirectorySettings
from services.directory.models import outbox
from services.directory.schemas import BusinessCreate
from services.directory.store import SqlStore
from shared.catalog import EventPublished
from shared.db import Database
from shared.envelope import CloudEvent, utcnow
from shared.migrations import upgrade_async
from tests.directory.conftest import profile

AT = datetime(2031, 3, 10, 17, tzinfo=UTC)


async def staged(db: Database, prefix: str) -> list[dict]:
    async with db.reading() as session:
        rows = (await session.execute(select(outbox.c.subject, outbox.c.payload).order_by(outbox.c.seq))).all()
    return [CloudEvent.model_validate_json(row.payload).data for row in rows if row.subject.startswith(prefix)]


async def test_memberships_messages_and_invitations_on_both_databases(database_url):
    await upgrade_async("directory", database_url)
    db, settings = Database(database_url), DirectorySettings(site_url="https://hallo-bot.de")
    now = utcnow()
    try:
        async with db.transaction() as session:
            store, ids = SqlStore(session), []
            for owner_email in ("a@example.org", None):
                fields = BusinessCreate(**profile(owner_email=owner_email)).model_dump(mode="json")
                shop, _ = await handlers.register_business(store, fields, self_registered=False, now=now)
                await handlers.change_status(store, shop["id"], "published", now=now, settings=settings)
                ids.append(shop["id"])
        with_address, without = ids

        async def join(business_id: str) -> bool:
            async with db.transaction() as session:
                return await network_handlers.join(session, "wirtschaftsallianz", business_id, now=now)

        assert sorted(await asyncio.gather(join(with_address), join(with_address))) == [False, True]
        assert await join(without)
        joined = await staged(db, "hallobot.directory.network.member_joined.")
        assert [event["business_id"] for event in joined] == [with_address, without]

        async with db.transaction() as session:
            assert await network_handlers.announce(session, "wirtschaftsallianz", "Betreff", "Text", now=now) == 1
            event = EventPublished(
                event_id="e1", title="Jahrestreffen", series="Wirtschaftsallianz", starts_at=AT, ends_at=AT
            )
            assert await network_handlers.invite(session, event, settings=settings) == 1
            other = event.model_copy(update={"event_id": "e2", "series": "Fachkräftesicherung"})
            assert await network_handlers.invite(session, other, settings=settings) == 0  # nobody is a member
        notices = await staged(db, "hallobot.private.directory.business.owner_notice.")
        mine = [n for n in notices if n["kind"].startswith("network_")]
        assert [(n["kind"], n["email"]) for n in mine] == [
            ("network_announcement", "a@example.org"),
            ("network_invitation", "a@example.org"),
        ]
        assert mine[1]["event_url"] == "https://hallo-bot.de/veranstaltungen/e1"

        async with db.reading() as session:
            overview = {n["slug"]: n for n in await network_queries.overview(session)}
            assert [n["slug"] for n in overview.values()] == ["wirtschaftsallianz", "fachkraeftesicherung"]
            assert len(overview["wirtschaftsallianz"]["members"]) == 2
            assert overview["wirtschaftsallianz"]["announcements"][0]["recipients"] == 1
            assert [n["slug"] for n in await network_queries.networks_of(session, without)] == ["wirtschaftsallianz"]

        async with db.transaction() as session:
            assert await network_handlers.leave(session, "wirtschaftsallianz", without)
            assert not await network_handlers.leave(session, "wirtschaftsallianz", without)
        assert len(await staged(db, "hallobot.directory.network.member_left.")) == 1
    finally:
        await db.dispose()
