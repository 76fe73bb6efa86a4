"""The read side of the Fairtrade-Town campaign: the criteria as counted now, the year's records, the title."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory import fairtrade
from services.directory.config import DirectorySettings
from services.directory.fairtrade_handlers import campaign_facts
from services.directory.models import fairtrade_actions, fairtrade_press
from services.directory.store import SqlStore, in_year


async def campaign_view(session: AsyncSession, *, now: datetime, settings: DirectorySettings) -> dict[str, Any]:
    store = SqlStore(session)
    campaign = await store.campaign()
    today = fairtrade.berlin_today(now)
    current = fairtrade.evaluate(await campaign_facts(store, campaign, today, settings), settings.fairtrade_targets)
    held_on, published_on = fairtrade_actions.c.held_on, fairtrade_press.c.published_on
    actions = await session.execute(select(fairtrade_actions).where(in_year(held_on, today.year)).order_by(held_on))
    press = await session.execute(
        select(fairtrade_press).where(in_year(published_on, today.year)).order_by(published_on)
    )
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
        "actions": [dict(row._mapping) for row in actions.all()],
        "press": [dict(row._mapping) for row in press.all()],
        "title_awarded_on": campaign["title_awarded_on"],
        "title_renewed_on": campaign["title_renewed_on"],
        "title_expires_on": expires,
        "title_valid": bool(expires and today < expires),
    }
