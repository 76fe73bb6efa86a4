"""Use cases of the Fairtrade-Town campaign: records, the recount after every relevant change, reminders.

`recount` locks the campaign row, so two changes in flight cannot both announce the same flip.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from services.directory import fairtrade
from services.directory.config import DirectorySettings
from services.directory.fairtrade import berlin_today
from services.directory.ports import RecordKind, Store
from shared.catalog import EventData, RecertificationDue
from shared.errors import NotFound


async def campaign_facts(
    store: Store, campaign: dict[str, Any], today: date, settings: DirectorySettings
) -> fairtrade.CampaignFacts:
    """What the criteria count this calendar year."""
    groups = fairtrade.shop_groups(await store.fairtrade_profiles(fairtrade.MIN_FAIRTRADE_PRODUCTS))
    return fairtrade.CampaignFacts(
        population=campaign["population"],
        council_resolution_on=campaign["council_resolution_on"],
        council_resolution_text=campaign["council_resolution_text"],
        steering_group=tuple(campaign["steering_group"]),
        retail=groups["retail"],
        gastronomy=groups["gastronomy"],
        actions=await store.actions_per_kind(today.year),
        press_articles=await store.press_articles(today.year),
        press_target=settings.fairtrade_press_per_year,
    )


async def recount(store: Store, *, now: datetime, settings: DirectorySettings) -> list[EventData]:
    """Count the criteria again; announce each flip once (criterion.met/lost, all_criteria_met)."""
    campaign = await store.campaign(for_update=True)
    today = berlin_today(now)
    facts = await campaign_facts(store, campaign, today, settings)
    current = fairtrade.evaluate(facts, settings.fairtrade_targets)
    events = fairtrade.changes(campaign["criteria_met"] or {}, current, today)
    for event in events:
        await store.stage(event)
    if events:
        state = {name: status.met for name, status in current.items()}
        await store.update_campaign({"criteria_met": state, "updated_at": now})
    return events


async def update_campaign(
    store: Store, sent: dict[str, Any], *, now: datetime, settings: DirectorySettings
) -> list[EventData]:
    """The office's edit of council resolution, steering group and population (only the fields sent)."""
    values = fairtrade.campaign_changes(sent)
    await store.campaign(for_update=True)
    if values:
        await store.update_campaign(values | {"updated_at": now})
    return await recount(store, now=now, settings=settings)


async def record_title(store: Store, kind: Literal["awarded", "renewed"], on: date, *, now: datetime) -> None:
    """The title was awarded or renewed on `on`; it is valid for two years from then. Each award and
    renewal is a row of the history (a date recorded twice is one)."""
    await store.campaign(for_update=True)  # one recording at a time
    milestone = fairtrade.title_change(await store.title_dates(), kind, on)
    if milestone is not None:
        await store.add_record("titles", {"id": str(uuid.uuid4()), "kind": kind, "granted_on": on})
        await store.update_campaign({"updated_at": now})
        await store.stage(milestone)


async def add_record(
    store: Store, kind: RecordKind, fields: dict[str, Any], *, now: datetime, settings: DirectorySettings
) -> dict[str, Any]:
    """A civil society action (`actions`), a press article (`press`) or a steering group meeting
    (`meetings`); the count follows."""
    record = {"id": str(uuid.uuid4()), **fields}
    await store.add_record(kind, record)
    await recount(store, now=now, settings=settings)
    return record


async def delete_record(
    store: Store, kind: RecordKind, record_id: str, *, now: datetime, settings: DirectorySettings
) -> None:
    if not await store.delete_record(kind, record_id):
        raise NotFound("Eintrag nicht gefunden / record not found", field="record_id")
    await recount(store, now=now, settings=settings)


async def send_reminders(store: Store, *, now: datetime) -> RecertificationDue | None:
    """At 90, 30 and 7 days before the title expires: one `recertification.due` each, never twice."""
    await store.campaign(for_update=True)
    expires = (await store.title_dates()).expires_on
    if expires is None:
        return None
    event, settled = fairtrade.reminder(expires, berlin_today(now), await store.reminders_sent(expires))
    if event is not None:
        await store.add_reminders(expires, settled, now)
        await store.stage(event)
    return event
