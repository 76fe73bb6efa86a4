"""Migration 0004 (every instant as `UtcDateTime`) keeps the stored instants, on SQLite and PostgreSQL:
rows written at 0003 the way the service wrote them then (and, on SQLite, by hand in other forms) read
back as the same instants at head, and SQL comparisons on them still hold. Migration 0010 turns the
title's two dates into rows of its history, and gives them back on the way down."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone

import sqlalchemy as sa

from services.directory.models import businesses, fairtrade_campaign, fairtrade_reminders
from shared.db import Database
from shared.migrations import upgrade

CREATED = datetime(2024, 10, 27, 0, 30, 15, 250000, tzinfo=UTC)  # 02:30 CEST, the night the clocks go back
TOUCHED = datetime(2025, 3, 30, 0, 59, 59, 123456, tzinfo=UTC)  # a second before the clocks go forward
PUBLISHED = datetime(2025, 1, 2, 23, 0, tzinfo=UTC)  # already 3 January in Bottrop
SENT = datetime(2025, 6, 1, 4, 0, 0, 1, tzinfo=UTC)

# The tables as revision 0003 wrote them (plain DateTime with time zone).
OLD_TIME = sa.DateTime(timezone=True)
old_businesses = sa.table(
    "businesses",
    *(sa.column(name) for name in ("id", "name", "category", "description", "city", "status", "edit_token_hash")),
    *(sa.column(name, sa.JSON) for name in ("offerings", "links")),
    *(sa.column(name) for name in ("delivery", "pickup", "accepts_gutschein", "online_shop", "self_registered")),
    *(sa.column(name) for name in ("fairtrade_products", "search_text", "search_folded", "owner_email")),
    *(sa.column(name, OLD_TIME) for name in ("created_at", "updated_at", "touched_at", "published_at")),
    sa.column("stale_noticed_for", OLD_TIME),
)
old_campaign = sa.table("fairtrade_campaign", sa.column("id"), sa.column("updated_at", OLD_TIME))
old_reminders = sa.table(
    "fairtrade_reminders", sa.column("expires_on"), sa.column("days"), sa.column("sent_at", OLD_TIME)
)


def business(business_id: str, **times) -> dict:
    return {
        "id": business_id,
        "name": f"Laden {business_id}",
        "category": "einzelhandel",
        "description": "",
        "city": "Bottrop",
        "status": "published",
        "edit_token_hash": business_id * 8,
        "offerings": [],
        "links": [],
        **dict.fromkeys(("delivery", "pickup", "accepts_gutschein", "online_shop", "self_registered"), False),
        "fairtrade_products": 0,
        "search_text": "",
        "search_folded": "",
        "owner_email": "a@example.org",
        **times,
    }


async def write_at_0003(url: str) -> None:
    await asyncio.to_thread(upgrade, "directory", url, "0003")
    db = Database(url)
    try:
        async with db.write_connection() as conn:
            await conn.execute(
                old_businesses.insert().values(
                    business(
                        "b1",
                        created_at=CREATED,
                        updated_at=TOUCHED,
                        touched_at=TOUCHED,
                        published_at=PUBLISHED,
                        stale_noticed_for=TOUCHED,
                    )
                )
            )
            await conn.execute(old_campaign.update().where(old_campaign.c.id == 1).values(updated_at=CREATED))
            await conn.execute(old_reminders.insert().values(expires_on=date(2025, 9, 1), days=90, sent_at=SENT))
            if db.is_sqlite:  # by hand (an operator's UPDATE, a test): ISO form, an offset, no fraction
                await conn.execute(
                    old_businesses.insert().values(
                        business("b2", created_at=CREATED, updated_at=CREATED, touched_at=CREATED, published_at=None)
                    )
                )
                await conn.exec_driver_sql(
                    "UPDATE businesses SET touched_at = '2025-03-30T03:00:00+02:00', "
                    "published_at = '2020-01-01 00:00:00', stale_noticed_for = '2025-03-30 01:00:00' WHERE id = 'b2'"
                )
            else:  # a column someone created without time zone (its values are UTC wall times)
                await conn.exec_driver_sql(
                    "ALTER TABLE fairtrade_reminders ALTER COLUMN sent_at TYPE TIMESTAMP WITHOUT TIME ZONE "
                    "USING sent_at AT TIME ZONE 'UTC'"
                )
    finally:
        await db.dispose()


async def test_the_utc_migration_keeps_every_stored_instant(database_url):
    await write_at_0003(database_url)
    await asyncio.to_thread(upgrade, "directory", database_url, "head")
    db = Database(database_url)
    try:
        async with db.reading() as session:
            b1 = (await session.execute(sa.select(businesses).where(businesses.c.id == "b1"))).one()
            assert (b1.created_at, b1.updated_at, b1.touched_at) == (CREATED, TOUCHED, TOUCHED)
            assert (b1.published_at, b1.stale_noticed_for) == (PUBLISHED, TOUCHED)
            assert all(t.utcoffset() == timedelta(0) for t in (b1.created_at, b1.touched_at, b1.published_at))
            campaign = (await session.execute(sa.select(fairtrade_campaign.c.updated_at))).scalar_one()
            assert campaign == CREATED and campaign.tzinfo is not None
            sent = (await session.execute(sa.select(fairtrade_reminders.c.sent_at))).scalar_one()
            assert sent == SENT and sent.utcoffset() == timedelta(0)
            # SQL comparisons see the same instants, whatever zone the bound value is in
            berlin = timezone(timedelta(hours=1))
            found = await session.execute(
                sa.select(businesses.c.id).where(businesses.c.touched_at == TOUCHED.astimezone(berlin))
            )
            assert found.scalars().all() == ["b1"]
            if db.is_sqlite:
                b2 = (await session.execute(sa.select(businesses).where(businesses.c.id == "b2"))).one()
                assert b2.touched_at == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
                assert b2.published_at == datetime(2020, 1, 1, tzinfo=UTC)
                # the hand-written touch and its nudge mark now compare equal in SQL (one nudge per period)
                same = await session.execute(
                    sa.select(businesses.c.id).where(businesses.c.stale_noticed_for == businesses.c.touched_at)
                )
                assert sorted(same.scalars()) == ["b1", "b2"]
            else:  # and every instant column is with time zone again
                kinds = await session.execute(
                    sa.text(
                        "SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema = "
                        "current_schema() AND column_name IN ('created_at', 'touched_at', 'updated_at', 'sent_at')"
                    )
                )
                assert kinds.scalars().all() == ["timestamp with time zone"]
    finally:
        await db.dispose()


async def test_the_history_migration_keeps_the_title_dates_as_rows_and_gives_them_back_on_downgrade(database_url):
    from alembic import command

    from services.directory.models import fairtrade_titles
    from shared.migrations import alembic_config

    await asyncio.to_thread(upgrade, "directory", database_url, "0009")
    old = sa.table("fairtrade_campaign", *(sa.column(n, sa.Date) for n in ("title_awarded_on", "title_renewed_on")))
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                old.update().values(title_awarded_on=date(2021, 11, 26), title_renewed_on=date(2025, 11, 26))
            )
        await asyncio.to_thread(upgrade, "directory", database_url, "head")
        async with db.reading() as session:
            rows = await session.execute(sa.select(fairtrade_titles.c.kind, fairtrade_titles.c.granted_on))
            assert sorted(rows.all()) == [("awarded", date(2021, 11, 26)), ("renewed", date(2025, 11, 26))]
        await asyncio.to_thread(command.downgrade, alembic_config("directory", database_url), "0009")
        async with db.reading() as session:
            back = (await session.execute(sa.select(old.c.title_awarded_on, old.c.title_renewed_on))).one()
            assert tuple(back) == (date(2021, 11, 26), date(2025, 11, 26))
    finally:
        await db.dispose()
