"""The SQL implementation of `ports.Store`, on the caller's session (one transaction: state and outbox)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.directory.domain import ARCHIVED, PROPOSAL_PENDING, PUBLISHED
from services.directory.fairtrade import TitleDates
from services.directory.models import (
    business_changes,
    businesses,
    fairtrade_actions,
    fairtrade_campaign,
    fairtrade_meetings,
    fairtrade_press,
    fairtrade_reminders,
    fairtrade_titles,
    outbox,
)
from services.directory.ports import RecordKind
from shared.catalog import EventData
from shared.outbox import add_event

CAMPAIGN_ID = 1  # the campaign is one row
RECORDS: dict[str, Table] = {
    "actions": fairtrade_actions,
    "press": fairtrade_press,
    "meetings": fairtrade_meetings,
    "titles": fairtrade_titles,
}
# The date each kind of record is dated by (a period selects on it).
DATED_BY: dict[str, str] = {
    "actions": "held_on",
    "press": "published_on",
    "meetings": "held_on",
    "titles": "granted_on",
}


def in_year(column: Any, year: int) -> ColumnElement[bool]:
    return and_(column >= date(year, 1, 1), column <= date(year, 12, 31))


class SqlStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- profiles

    async def get_profile(self, business_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(businesses).where(businesses.c.id == business_id)
        row = (await self.session.execute(query.with_for_update() if for_update else query)).first()
        return dict(row._mapping) if row else None

    async def insert_profile(self, values: dict[str, Any]) -> None:
        await self.session.execute(businesses.insert().values(**values))

    async def update_profile(self, business_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(businesses.update().where(businesses.c.id == business_id).values(**values))

    async def stale_candidates(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
        """The SQL form of `domain.stale_notice_due`."""
        b = businesses
        query = (
            select(b)
            .where(
                b.c.status == PUBLISHED,
                b.c.owner_email.is_not(None),
                b.c.touched_at <= cutoff,
                b.c.published_at <= cutoff,
                or_(b.c.stale_noticed_for.is_(None), b.c.stale_noticed_for != b.c.touched_at),
            )
            .order_by(b.c.touched_at)
            .limit(limit)
        )
        return [dict(row._mapping) for row in (await self.session.execute(query)).all()]

    async def mark_stale_noticed(self, business_id: str, touched_at: datetime) -> bool:
        """A conditional update: of two instances nudging at once, only one marks (and stages)."""
        b = businesses
        marked = await self.session.execute(
            b.update()
            .where(
                b.c.id == business_id,
                b.c.touched_at == touched_at,
                or_(b.c.stale_noticed_for.is_(None), b.c.stale_noticed_for != b.c.touched_at),
            )
            .values(stale_noticed_for=b.c.touched_at)
        )
        return bool(marked.rowcount == 1)  # type: ignore[attr-defined]

    async def profiles_of_owner(self, owner_email: str, limit: int) -> list[dict[str, Any]]:
        """The profiles (not archived) whose owner address is this one, whatever its case."""
        b = businesses
        query = (
            select(b)
            .where(func.lower(b.c.owner_email) == owner_email.lower(), b.c.status != ARCHIVED)
            .order_by(b.c.created_at, b.c.id)
            .limit(limit)
        )
        return [dict(row._mapping) for row in (await self.session.execute(query)).all()]

    # --- changes waiting for review (the profile's row is locked first, so these need no lock of their own)

    async def pending_change(self, business_id: str) -> dict[str, Any] | None:
        c = business_changes
        query = select(c).where(c.c.business_id == business_id, c.c.status == PROPOSAL_PENDING)
        row = (await self.session.execute(query)).first()
        return dict(row._mapping) if row else None

    async def get_change(self, change_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(business_changes).where(business_changes.c.id == change_id)
        row = (await self.session.execute(query.with_for_update() if for_update else query)).first()
        return dict(row._mapping) if row else None

    async def insert_change(self, values: dict[str, Any]) -> None:
        await self.session.execute(business_changes.insert().values(**values))

    async def update_change(self, change_id: str, values: dict[str, Any]) -> None:
        table = business_changes
        await self.session.execute(table.update().where(table.c.id == change_id).values(**values))

    # --- the Fairtrade-Town campaign

    async def campaign(self, *, for_update: bool = False) -> dict[str, Any]:
        query = select(fairtrade_campaign).where(fairtrade_campaign.c.id == CAMPAIGN_ID)
        row = (await self.session.execute(query.with_for_update() if for_update else query)).one()
        return dict(row._mapping)

    async def update_campaign(self, values: dict[str, Any]) -> None:
        table = fairtrade_campaign
        await self.session.execute(table.update().where(table.c.id == CAMPAIGN_ID).values(**values))

    async def fairtrade_profiles(self, min_products: int) -> dict[str, int]:
        query = (
            select(businesses.c.category, func.count())
            .where(businesses.c.status == PUBLISHED, businesses.c.fairtrade_products >= min_products)
            .group_by(businesses.c.category)
        )
        return {category: count for category, count in (await self.session.execute(query)).all()}

    async def actions_per_kind(self, year: int) -> dict[str, int]:
        table = fairtrade_actions
        query = select(table.c.kind, func.count()).where(in_year(table.c.held_on, year)).group_by(table.c.kind)
        return {kind: count for kind, count in (await self.session.execute(query)).all()}

    async def press_articles(self, year: int) -> int:
        query = select(func.count()).select_from(fairtrade_press).where(in_year(fairtrade_press.c.published_on, year))
        return int((await self.session.execute(query)).scalar_one())

    async def add_record(self, kind: RecordKind, record: dict[str, Any]) -> None:
        await self.session.execute(RECORDS[kind].insert().values(**record))

    async def delete_record(self, kind: RecordKind, record_id: str) -> bool:
        table = RECORDS[kind]
        result = await self.session.execute(delete(table).where(table.c.id == record_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def title_dates(self) -> TitleDates:
        query = select(fairtrade_titles.c.kind, fairtrade_titles.c.granted_on).order_by(fairtrade_titles.c.granted_on)
        return TitleDates(tuple((kind, on) for kind, on in (await self.session.execute(query)).all()))

    async def records_between(self, kind: RecordKind, start: date, end: date) -> list[dict[str, Any]]:
        """The records of one kind dated from `start` to `end` (both included), oldest first."""
        table = RECORDS[kind]
        dated = table.c[DATED_BY[kind]]
        query = select(table).where(dated >= start, dated <= end).order_by(dated, table.c.id)
        return [dict(row._mapping) for row in (await self.session.execute(query)).all()]

    async def reminders_sent(self, expires_on: date) -> set[int]:
        query = select(fairtrade_reminders.c.days).where(fairtrade_reminders.c.expires_on == expires_on)
        return set((await self.session.execute(query)).scalars())

    async def add_reminders(self, expires_on: date, days: set[int], sent_at: datetime) -> None:
        rows = [{"expires_on": expires_on, "days": threshold, "sent_at": sent_at} for threshold in sorted(days)]
        await self.session.execute(fairtrade_reminders.insert(), rows)

    # --- outbox

    async def stage(self, event: EventData) -> None:
        await add_event(self.session, outbox, event)
