"""The use cases of the directory on a fake store (tests/directory/fakes.py): the Fairtrade flips and the
profile life cycle, with exact times, no database, no broker. The same use cases run against SQLite and
PostgreSQL in the HTTP tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.directory import fairtrade_handlers as campaign
from services.directory import handlers
from services.directory.config import DirectorySettings
from services.directory.schemas import BusinessCreate
from shared.errors import Conflict, NotFound
from tests.directory.fakes import FakeStore

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
SETTINGS = DirectorySettings(public_url="https://hallo-bot.de/verzeichnis/{id}", fairtrade_press_per_year=2)
MET, LOST, MILESTONE, DUE = (
    "fairtrade.criterion.met",
    "fairtrade.criterion.lost",
    "fairtrade.milestone.reached",
    "fairtrade.recertification.due",
)


def fields(**overrides) -> dict:
    body = {"name": "Weltladen", "category": "einzelhandel", "owner_email": "inhaberin@example.org"}
    return BusinessCreate(**(body | overrides)).model_dump(mode="json")


async def shop(store: FakeStore, **overrides) -> str:
    """A published profile; the events it caused are taken."""
    profile, _ = await handlers.register_business(store, fields(**overrides), self_registered=True, now=NOW)
    await handlers.change_status(store, profile["id"], "published", now=NOW, settings=SETTINGS)
    store.take()
    return profile["id"]


async def campaign_short_of_shops() -> FakeStore:
    """A town of 30,000 (6 shops, 3 restaurants needed) that meets every criterion but the shops."""
    store = FakeStore(population=30_000)
    sent = {"council_resolution_on": date(2025, 1, 15), "council_resolution_text": "Beschluss", "population": None}
    await campaign.update_campaign(
        store, sent | {"steering_group": ["Stadt", "Weltladen", "Kirche"]}, now=NOW, settings=SETTINGS
    )
    for kind in ("school", "association", "faith_community"):
        record = {"kind": kind, "organisation": kind, "action": "Aktion", "held_on": date(2025, 5, 1)}
        await campaign.add_record(store, "actions", record, now=NOW, settings=SETTINGS)
    for title in ("Fair in Bottrop", "Kaffee mit Haltung"):
        record = {"title": title, "outlet": "WAZ", "url": None, "published_on": date(2025, 3, 1)}
        await campaign.add_record(store, "press", record, now=NOW, settings=SETTINGS)
    for _ in range(5):
        await shop(store, fairtrade_products=2)
    for _ in range(3):
        await shop(store, category="gastronomie", fairtrade_products=5)
    store.take()
    return store


# --- the Fairtrade flips ---------------------------------------------------------------------------


async def test_each_criterion_is_announced_when_it_is_met_and_the_population_edit_keeps_the_population():
    store = FakeStore(population=30_000)
    sent = {"council_resolution_on": date(2025, 1, 15), "council_resolution_text": "Beschluss", "population": None}
    await campaign.update_campaign(store, sent, now=NOW, settings=SETTINGS)
    assert store.take() == [(MET, "council_resolution")]
    assert store.campaign_row["population"] == 30_000
    await campaign.update_campaign(store, {"steering_group": ["A", "B", "C"]}, now=NOW, settings=SETTINGS)
    await campaign.update_campaign(store, {"steering_group": ["A", "B", "C"]}, now=NOW, settings=SETTINGS)
    assert store.take() == [(MET, "steering_group")]  # once, not again on the same state
    await campaign.update_campaign(store, {"steering_group": None}, now=NOW, settings=SETTINGS)
    assert store.take() == [(LOST, "steering_group")] and store.campaign_row["steering_group"] == []


async def test_the_last_shop_brings_the_criterion_and_the_milestone_once():
    store = await campaign_short_of_shops()
    assert store.campaign_row["criteria_met"]["retail_gastronomy"] is False
    await shop(store, fairtrade_products=1)  # one Fairtrade product does not count
    last, _ = await handlers.register_business(store, fields(fairtrade_products=2), self_registered=True, now=NOW)
    assert store.take() == [("directory.business.registered", None)]  # a draft does not count, nor show its name
    await handlers.change_status(store, last["id"], "published", now=NOW, settings=SETTINGS)
    assert store.take() == [
        ("directory.business.published", "Weltladen"),
        ("private.directory.business.owner_notice", "published"),
        (MET, "retail_gastronomy"),
        (MILESTONE, "all_criteria_met"),
    ]
    await campaign.recount(store, now=NOW, settings=SETTINGS)
    assert store.take() == []


async def test_a_counted_shop_that_drops_its_products_or_is_unpublished_loses_the_criterion():
    store = await campaign_short_of_shops()
    sixth = await shop(store, fairtrade_products=3)
    assert store.campaign_row["criteria_met"]["retail_gastronomy"] is True
    await handlers.update_business(store, sixth, {"delivery": True}, now=NOW, settings=SETTINGS)
    assert store.take() == [("directory.business.updated", "Weltladen")]  # no count moved, none announced
    await handlers.update_business(store, sixth, {"fairtrade_products": 1}, now=NOW, settings=SETTINGS)
    assert store.take() == [("directory.business.updated", "Weltladen"), (LOST, "retail_gastronomy")]
    await handlers.update_business(store, sixth, {"fairtrade_products": 4}, now=NOW, settings=SETTINGS)
    store.take()
    await handlers.change_status(store, sixth, "unpublished", now=NOW, settings=SETTINGS)
    assert store.take() == [("directory.business.unpublished", "Weltladen"), (LOST, "retail_gastronomy")]


async def test_a_deleted_press_article_loses_the_press_criterion_and_an_unknown_one_is_not_found():
    store = await campaign_short_of_shops()
    article = next(iter(store.records["press"]))
    await campaign.delete_record(store, "press", article, now=NOW, settings=SETTINGS)
    assert store.take() == [(LOST, "press")]
    with pytest.raises(NotFound):
        await campaign.delete_record(store, "press", article, now=NOW, settings=SETTINGS)


async def test_actions_count_per_calendar_year_so_new_year_can_lose_a_criterion():
    store = await campaign_short_of_shops()
    new_year = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January 2026 in Bottrop
    await campaign.recount(store, now=new_year, settings=SETTINGS)
    assert store.take() == [(LOST, "civil_society"), (LOST, "press")]


async def test_the_title_is_announced_once_and_a_renewal_needs_an_award():
    store = FakeStore()
    with pytest.raises(Conflict):
        await campaign.record_title(store, "renewed", date(2025, 1, 1), now=NOW)
    await campaign.record_title(store, "awarded", date(2024, 3, 1), now=NOW)
    await campaign.record_title(store, "awarded", date(2024, 3, 1), now=NOW)
    await campaign.record_title(store, "renewed", date(2025, 2, 1), now=NOW)
    assert store.take() == [(MILESTONE, "title_awarded"), (MILESTONE, "title_renewed")]


async def test_recertification_is_due_at_90_30_and_7_days_once_each_and_once_after_a_pause():
    store = FakeStore()
    await campaign.record_title(store, "awarded", date(2025, 3, 1), now=NOW)  # expires 1 March 2027
    store.take()

    async def run(day: date) -> None:
        await campaign.send_reminders(store, now=datetime(day.year, day.month, day.day, 8, tzinfo=UTC))

    for day in (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)):
        await run(day)
    assert store.take() == [(DUE, 90)]
    await run(date(2027, 2, 25))  # the service was down at 30 days: one reminder, both settled
    await run(date(2027, 2, 26))
    assert store.take() == [(DUE, 4)] and store.reminders_sent_sync() == {90, 30, 7}


# --- the profile life cycle -----------------------------------------------------------------------


async def test_publishing_announces_once_and_tells_the_owner_once():
    store = FakeStore()
    profile, token = await handlers.register_business(store, fields(), self_registered=True, now=NOW)
    assert profile["status"] == "pending" and token.startswith("hbe_") and token not in str(profile)
    assert store.take() == [("directory.business.registered", None)]
    later = NOW + timedelta(hours=1)
    published = await handlers.change_status(store, profile["id"], "published", now=later, settings=SETTINGS)
    assert published["published_at"] == later and store.profiles[profile["id"]]["status"] == "published"
    assert [t for t, _ in store.take()][:2] == [
        "directory.business.published",
        "private.directory.business.owner_notice",
    ]
    await handlers.change_status(store, profile["id"], "published", now=later, settings=SETTINGS)
    assert store.take() == []


async def test_unpublishing_needs_a_published_profile_and_republishing_is_possible():
    store = FakeStore()
    profile, _ = await handlers.register_business(store, fields(owner_email=None), self_registered=False, now=NOW)
    with pytest.raises(Conflict):
        await handlers.change_status(store, profile["id"], "unpublished", now=NOW, settings=SETTINGS)
    for target in ("published", "unpublished", "published"):
        await handlers.change_status(store, profile["id"], target, now=NOW, settings=SETTINGS)
    assert [t for t, _ in store.take() if t.startswith("directory.")] == [
        "directory.business.registered",
        "directory.business.published",
        "directory.business.unpublished",
        "directory.business.published",
    ]


async def test_archived_is_final_for_status_changes_and_edits():
    store = FakeStore()
    business_id = await shop(store)
    await handlers.change_status(store, business_id, "archived", now=NOW, settings=SETTINGS)
    assert store.take() == [("directory.business.archived", "Weltladen")]
    await handlers.change_status(store, business_id, "archived", now=NOW, settings=SETTINGS)  # a repeat: no-op
    for target in ("published", "unpublished"):
        with pytest.raises(Conflict) as refused:
            await handlers.change_status(store, business_id, target, now=NOW, settings=SETTINGS)
        assert refused.value.field == "status"
    with pytest.raises(Conflict):
        await handlers.update_business(store, business_id, {}, now=NOW, settings=SETTINGS)
    assert store.take() == [] and store.profiles[business_id]["status"] == "archived"


async def test_an_edit_announces_what_changed_and_an_empty_save_only_confirms():
    store = FakeStore()
    profile, _ = await handlers.register_business(store, fields(), self_registered=True, now=NOW)
    store.take()
    later = NOW + timedelta(days=200)
    await handlers.update_business(store, profile["id"], {}, now=later, settings=SETTINGS)
    assert store.take() == [] and store.profiles[profile["id"]]["touched_at"] == later
    assert store.profiles[profile["id"]]["updated_at"] == NOW
    changes = {"name": "Weltladen Bottrop", "city": "Bottrop", "opening_hours": ""}
    await handlers.update_business(store, profile["id"], changes, now=later, settings=SETTINGS)
    (updated,) = store.staged
    assert updated.changed == ["name"] and store.profiles[profile["id"]]["search_folded"].startswith(
        "weltladen bottrop"
    )
    with pytest.raises(NotFound):
        await handlers.update_business(store, "nobody", {}, now=later, settings=SETTINGS)


async def test_a_stale_profile_is_nudged_once_per_period():
    store = FakeStore()
    business_id = await shop(store)
    store.profiles[business_id] |= {"touched_at": NOW - timedelta(days=400), "published_at": NOW - timedelta(days=400)}
    counts = [await handlers.notify_stale_owners(store, now=NOW, settings=SETTINGS) for _ in range(2)]
    assert counts == [1, 0] and store.take() == [("private.directory.business.owner_notice", "stale")]
    await handlers.update_business(store, business_id, {}, now=NOW - timedelta(days=200), settings=SETTINGS)
    assert await handlers.notify_stale_owners(store, now=NOW, settings=SETTINGS) == 1


async def test_a_sign_up_mails_the_owner_the_edit_link_in_the_same_transaction():
    store = FakeStore()
    profile, token = await handlers.sign_up(store, fields(owner_language="en"), now=NOW, settings=SETTINGS)
    assert profile["status"] == "pending" and profile["self_registered"] is True
    registered, notice = store.staged
    assert registered.TYPE == "directory.business.registered"
    assert notice.kind == "registered" and notice.email == "inhaberin@example.org" and notice.language == "en"
    assert notice.edit_url == SETTINGS.link(f"/verzeichnis/eintrag/zugang?token={token}")
    assert notice.profile_url is None  # not public yet


async def test_a_new_link_goes_to_each_profile_of_the_address_and_the_old_link_stops_working():
    store = FakeStore()
    first, old_token = await handlers.sign_up(store, fields(), now=NOW, settings=SETTINGS)
    published_id = await shop(store, owner_email="Inhaberin@Example.org", name="Weltladen am Markt")
    await shop(store, owner_email="jemand@example.org")
    gone = await shop(store, owner_email="inhaberin@example.org")
    await handlers.change_status(store, gone, "archived", now=NOW, settings=SETTINGS)
    store.take()
    old_hash = store.profiles[first["id"]]["edit_token_hash"]
    assert await handlers.send_edit_links(store, "INHABERIN@example.org ", settings=SETTINGS) == 2
    notices = {n.business_id: n for n in store.staged}
    assert set(notices) == {first["id"], published_id} and {n.kind for n in notices.values()} == {"link"}
    assert notices[first["id"]].profile_url is None
    assert notices[published_id].profile_url == f"https://hallo-bot.de/verzeichnis/{published_id}"
    assert store.profiles[first["id"]]["edit_token_hash"] != old_hash
    assert old_token not in notices[first["id"]].edit_url
    assert notices[published_id].email == "Inhaberin@example.org"  # only ever the stored address
    assert await handlers.send_edit_links(store, "niemand@example.org", settings=SETTINGS) == 0
