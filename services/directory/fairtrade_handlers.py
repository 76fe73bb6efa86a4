"""Use cases of the Fairtrade-Town campaign: records, the recount after every relevant change, reminders.

`recount` locks the campaign row, so two changes in flight cannot both announce the same flip.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import domain, fairtrade
from services.directory.config import DirectorySettings
from services.directory.models import (
    businesses,
    fairtrade_actions,
    fairtrade_campaign,
    fairtrade_press,
    fairtrade_reminders,
    outbox,
)
from services.directory.schemas import ActionCreate, CampaignUpdate, PressCreate, TitleRecord
from shared.catalog import MilestoneReached, RecertificationDue
from shared.errors import Conflict, NotFound
from shared.outbox import add_event

CAMPAIGN_ID = 1


def berlin_today(now: datetime) -> date:
    return now.astimezone(domain.BERLIN).date()


async def _campaign(session: AsyncSession, *, for_update: bool = False) -> dict:
    query = select(fairtrade_campaign).where(fairtrade_campaign.c.id == CAMPAIGN_ID)
    row = (await session.execute(query.with_for_update() if for_update else query)).first()
    return dict(row._mapping)


def _year(column, today: date):
    return and_(column >= date(today.year, 1, 1), column <= date(today.year, 12, 31))


async def _facts(session: AsyncSession, campaign: dict, today: date, settings: DirectorySettings):
    groups = {"retail": 0, "gastronomy": 0}
    rows = await session.execute(
        select(businesses.c.category, func.count())
        .where(
            businesses.c.status == domain.PUBLISHED,
            businesses.c.fairtrade_products >= fairtrade.MIN_FAIRTRADE_PRODUCTS,
        )
        .group_by(businesses.c.category)
    )
    for category, count in rows:
        group = domain.CATEGORIES[category].fairtrade_group
        if group:
            groups[group] += count
    actions = dict(
        (
            await session.execute(
                select(fairtrade_actions.c.kind, func.count())
                .where(_year(fairtrade_actions.c.held_on, today))
                .group_by(fairtrade_actions.c.kind)
            )
        ).all()
    )
    press = (
        await session.execute(
            select(func.count()).select_from(fairtrade_press).where(_year(fairtrade_press.c.published_on, today))
        )
    ).scalar_one()
    return fairtrade.CampaignFacts(
        population=campaign["population"],
        council_resolution_on=campaign["council_resolution_on"],
        council_resolution_text=campaign["council_resolution_text"],
        steering_group=tuple(campaign["steering_group"]),
        retail=groups["retail"],
        gastronomy=groups["gastronomy"],
        actions=actions,
        press_articles=press,
        press_target=settings.fairtrade_press_per_year,
    )


async def recount(session: AsyncSession, *, now: datetime, settings: DirectorySettings) -> list:
    """Count the criteria again; announce each flip once (criterion.met/lost, all_criteria_met)."""
    campaign = await _campaign(session, for_update=True)
    today = berlin_today(now)
    current = fairtrade.evaluate(await _facts(session, campaign, today, settings), settings.fairtrade_targets)
    events = fairtrade.changes(campaign["criteria_met"] or {}, current, today)
    for event in events:
        await add_event(session, outbox, event)
    if events:
        state = {name: status.met for name, status in current.items()}
        await session.execute(
            fairtrade_campaign.update()
            .where(fairtrade_campaign.c.id == CAMPAIGN_ID)
            .values(criteria_met=state, updated_at=now)
        )
    return events


async def campaign_view(session: AsyncSession, *, now: datetime, settings: DirectorySettings) -> dict:
    campaign = await _campaign(session)
    today = berlin_today(now)
    current = fairtrade.evaluate(await _facts(session, campaign, today, settings), settings.fairtrade_targets)
    actions = (
        await session.execute(
            select(fairtrade_actions)
            .where(_year(fairtrade_actions.c.held_on, today))
            .order_by(fairtrade_actions.c.held_on)
        )
    ).all()
    press = (
        await session.execute(
            select(fairtrade_press)
            .where(_year(fairtrade_press.c.published_on, today))
            .order_by(fairtrade_press.c.published_on)
        )
    ).all()
    expires = fairtrade.title_expires_on(campaign["title_awarded_on"], campaign["title_renewed_on"])
    return {
        "population": campaign["population"],
        "year": today.year,
        "criteria": [
            {"criterion": s.criterion, "met": s.met, "count": s.count, "target": s.target, "detail": s.detail}
            for s in current.values()
        ],
        "all_met": all(s.met for s in current.values()),
        "council_resolution_on": campaign["council_resolution_on"],
        "council_resolution_text": campaign["council_resolution_text"],
        "steering_group": campaign["steering_group"],
        "actions": [dict(row._mapping) for row in actions],
        "press": [dict(row._mapping) for row in press],
        "title_awarded_on": campaign["title_awarded_on"],
        "title_renewed_on": campaign["title_renewed_on"],
        "title_expires_on": expires,
        "title_valid": bool(expires and today < expires),
    }


async def _set(session: AsyncSession, values: dict, now: datetime) -> None:
    await session.execute(
        fairtrade_campaign.update().where(fairtrade_campaign.c.id == CAMPAIGN_ID).values(**values, updated_at=now)
    )


async def update_campaign(
    session: AsyncSession, data: CampaignUpdate, *, now: datetime, settings: DirectorySettings
) -> None:
    values = data.model_dump(exclude_unset=True)
    if values.get("population", 1) is None:
        values.pop("population")
    if "steering_group" in values and values["steering_group"] is None:
        values["steering_group"] = []
    await _campaign(session, for_update=True)
    if values:
        await _set(session, values, now)
    await recount(session, now=now, settings=settings)


async def record_title(session: AsyncSession, data: TitleRecord, *, now: datetime) -> None:
    """The title was awarded or renewed on `data.on`; it is valid for two years from then."""
    campaign = await _campaign(session, for_update=True)
    if data.kind == "renewed" and campaign["title_awarded_on"] is None:
        raise Conflict("Erneuerung ohne erste Verleihung / renewal before the first award", field="kind")
    column = "title_awarded_on" if data.kind == "awarded" else "title_renewed_on"
    if campaign[column] == data.on:
        return
    await _set(session, {column: data.on}, now)
    milestone = "title_awarded" if data.kind == "awarded" else "title_renewed"
    await add_event(session, outbox, MilestoneReached(milestone=milestone, on=data.on))


async def add_action(session: AsyncSession, data: ActionCreate, *, now: datetime, settings: DirectorySettings) -> dict:
    record = {"id": str(uuid.uuid4()), **data.model_dump()}
    await session.execute(fairtrade_actions.insert().values(**record))
    await recount(session, now=now, settings=settings)
    return record


async def add_press(session: AsyncSession, data: PressCreate, *, now: datetime, settings: DirectorySettings) -> dict:
    record = {"id": str(uuid.uuid4()), **data.model_dump(mode="json"), "published_on": data.published_on}
    await session.execute(fairtrade_press.insert().values(**record))
    await recount(session, now=now, settings=settings)
    return record


async def delete_record(
    session: AsyncSession, kind: str, record_id: str, *, now: datetime, settings: DirectorySettings
) -> None:
    table = fairtrade_actions if kind == "actions" else fairtrade_press
    result = await session.execute(delete(table).where(table.c.id == record_id))
    if result.rowcount == 0:
        raise NotFound("Eintrag nicht gefunden / record not found", field="record_id")
    await recount(session, now=now, settings=settings)


async def send_reminders(session: AsyncSession, *, now: datetime) -> RecertificationDue | None:
    """At 90, 30 and 7 days before the title expires: one `recertification.due` each, never twice."""
    campaign = await _campaign(session, for_update=True)
    expires = fairtrade.title_expires_on(campaign["title_awarded_on"], campaign["title_renewed_on"])
    if expires is None:
        return None
    sent = set(
        (
            await session.execute(select(fairtrade_reminders.c.days).where(fairtrade_reminders.c.expires_on == expires))
        ).scalars()
    )
    today = berlin_today(now)
    days, settled = fairtrade.reminder_due(expires, today, sent)
    if days is None:
        return None
    for threshold in settled:
        await session.execute(fairtrade_reminders.insert().values(expires_on=expires, days=threshold, sent_at=now))
    event = RecertificationDue(expires_on=expires, days_left=(expires - today).days)
    await add_event(session, outbox, event)
    return event
