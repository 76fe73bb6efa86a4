"""Retention of personal data (docs/privacy.md), on SQLite and PostgreSQL, with the time injected:
unconfirmed subscriptions go after seven days with their confirmation mail, an unsubscribed address
is kept only as its pseudonym, an archived profile drops its owner's address after
DIRECTORY_ARCHIVED_OWNER_DAYS; and the jobs that run these rules do so. Beside them, the SQL of
notifications' answer to a request on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select

from services.directory import models as directory_models
from services.directory import privacy as directory_privacy
from services.directory.config import DirectorySettings
from services.directory.jobs import run_due_jobs
from services.events import handlers as events_handlers
from services.events import models as events_models
from services.events import privacy as events_privacy
from services.events.commands import CreateEvent, RegisterForEvent
from services.events.store import SqlStore
from services.notifications import models as notifications_models
from services.notifications import privacy
from services.notifications.config import NotificationsSettings
from services.notifications.domain import pseudonym
from services.notifications.handlers_delivery import forget
from shared.catalog import PrivacyAccessRequested, PrivacyErasureRequested
from shared.privacy import scrub_outbox
from tests.support.databases import migrated

NOW = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
KEY = "a-test-key-of-thirty-two-characters!"
S, D, B = notifications_models.subscriptions, notifications_models.deliveries, directory_models.businesses
R = events_models.registrations


def subscription(status: str, address: str, created: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "channel": "email",
        "address": address,
        "topics": ["events.event.published"],
        "filters": {},
        "language": "de",
        "digest": "immediate",
        "status": status,
        "failures": 0,
        "created_at": created,
        "ended_at": created + timedelta(days=1) if status == "unsubscribed" else None,
    }


def confirmation(subscription_id: str, address: str, created: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "event_id": f"confirm-{subscription_id}",
        "event_type": "subscription.confirmation",
        "channel": "email",
        "template": "confirm",
        "recipient": address,
        "recipient_ref": "psn_x",
        "subscription_id": subscription_id,
        "subject": "Bitte bestätigen Sie Ihr Abonnement",
        "body": "…",
        "headers": {},
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": created,
        "created_at": created,
    }


async def test_unconfirmed_subscriptions_go_after_a_week_and_unsubscribed_addresses_become_hashes(
    database_url, tmp_path
):
    settings = NotificationsSettings(secret_key=KEY, data_dir=tmp_path)
    rows = {
        "stale": subscription("pending", "alt@example.org", NOW - timedelta(days=7, minutes=1)),
        "fresh": subscription("pending", "neu@example.org", NOW - timedelta(days=6)),
        "ended": subscription("unsubscribed", "Weg@Example.org", NOW - timedelta(days=30)),
        "active": subscription("active", "da@example.org", NOW - timedelta(days=30)),
    }
    async with migrated("notifications", database_url) as db:
        async with db.transaction() as session:
            await session.execute(insert(S), list(rows.values()))
            await session.execute(insert(D).values(confirmation(rows["stale"]["id"], "alt@example.org", NOW)))
        await forget(db, settings, NOW)
        async with db.reading() as session:
            kept = {row.id: row for row in await session.execute(select(S))}
            mails = (await session.execute(select(D.c.recipient))).scalars().all()
    assert rows["stale"]["id"] not in kept and mails == []
    assert kept[rows["fresh"]["id"]].address == "neu@example.org"
    assert kept[rows["active"]["id"]].address == "da@example.org"
    ended = kept[rows["ended"]["id"]]
    assert ended.address is None and ended.address_hash == pseudonym(KEY, "weg@example.org")
    assert ended.status == "unsubscribed"


def business(status: str, owner: str, archived: datetime) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "name": "Laden",
        "category": "handwerk",
        "description": "",
        "offerings": [],
        "city": "Bottrop",
        "delivery": False,
        "pickup": False,
        "accepts_gutschein": False,
        "sells_gutschein": False,
        "online_shop": False,
        "fairtrade_products": 0,
        "links": [],
        "owner_email": owner,
        "owner_language": "de",
        "status": status,
        "self_registered": True,
        "edit_token_hash": uuid.uuid4().hex,
        "created_at": archived - timedelta(days=400),
        "updated_at": archived,
        "touched_at": archived,
        "search_text": "Laden",
        "search_folded": "laden",
    }


@pytest.mark.parametrize("days", [90, 30])
async def test_an_archived_profile_drops_its_owners_address_after_the_retention_period(database_url, days):
    settings = DirectorySettings(archived_owner_days=days)
    rows = {
        "due": business("archived", "alt@example.org", NOW - timedelta(days=days)),
        "recent": business("archived", "neu@example.org", NOW - timedelta(days=days - 1)),
        "published": business("published", "da@example.org", NOW - timedelta(days=days + 100)),
    }
    async with migrated("directory", database_url) as db:
        async with db.transaction() as session:
            await session.execute(insert(B), list(rows.values()))
        await run_due_jobs(db, NOW, settings)
        async with db.reading() as session:
            owners = dict((await session.execute(select(B.c.id, B.c.owner_email))).all())
    assert owners[rows["due"]["id"]] is None
    assert owners[rows["recent"]["id"]] == "neu@example.org"
    assert owners[rows["published"]["id"]] == "da@example.org"


async def test_notifications_answers_access_and_erasure_on_either_database(database_url, tmp_path):
    """The SQL of notifications' own answer (privacy.py) on SQLite and PostgreSQL: an access report
    holds the data until the erasure of the same address clears it, with the subscription, every mail
    that names the address and the private outbox rows that carry it."""
    address = f"Bea.{uuid.uuid4().hex[:6]}@Example.org"
    mine = subscription("active", address, NOW - timedelta(days=3))
    other = subscription("active", "jemand@example.org", NOW - timedelta(days=3))
    office_mail = confirmation(other["id"], "buero@example.org", NOW) | {"body": f"Neu: {address.lower()}"}
    async with migrated("notifications", database_url) as db:
        async with db.transaction() as session:
            await session.execute(insert(S), [mine, other])
            await session.execute(insert(D), [confirmation(mine["id"], address, NOW), office_mail])
            access_id = await privacy.ask(session, KEY, "access", address, "konto-1")
        async with db.transaction() as session:
            access = PrivacyAccessRequested(request_id=access_id, email=address.lower())
            answered, scrub = await privacy.answer(session, access, KEY)
            assert scrub == [] and answered.found["subscriptions"] == 1 and answered.found["deliveries"] == 2
            await privacy.record_answer(session, answered, NOW)
        async with db.transaction() as session:
            erasure_id = await privacy.ask(session, KEY, "erasure", address.upper(), "konto-1")
        async with db.transaction() as session:
            erasure = PrivacyErasureRequested(request_id=erasure_id, email=address.lower())
            answered, scrub = await privacy.answer(session, erasure, KEY)
            await privacy.record_answer(session, answered, NOW)
        async with db.reading() as session:
            access_report = await privacy.report(session, access_id)
            left = [row.id for row in await session.execute(select(S))]
            mails = (await session.execute(select(D.c.recipient))).scalars().all()
    assert answered.erased == {"subscriptions": 1, "deliveries": 2, "access_reports": 1, "outbox_rows": 2}
    assert len(scrub) == 2  # the two requests' rows, removed by the consumer once the answer is staged
    assert left == [other["id"]] and mails == []
    assert access_report and access_report["services"][2]["records"] is None


async def test_a_notice_made_before_an_erasure_of_its_address_becomes_no_mail_one_made_after_does(database_url):
    """A registrant or owner notice already on PRIVATE when the erasure was handled comes to nothing;
    a later one (the person registers again) is mailed."""
    address = f"Spaet.{uuid.uuid4().hex[:6]}@example.org"
    async with migrated("notifications", database_url) as db:
        async with db.transaction() as session:
            await privacy.ask(session, KEY, "erasure", address, "konto-1")
        asked = datetime.now(UTC)
        before = (SimpleNamespace(time=asked - timedelta(seconds=30)), SimpleNamespace(email=address.upper()))
        after = (SimpleNamespace(time=asked + timedelta(seconds=1)), SimpleNamespace(email=address))
        other = (SimpleNamespace(time=asked - timedelta(seconds=30)), SimpleNamespace(email="jemand@example.org"))
        async with db.reading() as session:
            kept = await privacy.without_erased(session, KEY, [before, after, other])  # type: ignore[list-item]
    assert kept == [after, other]


async def test_events_answer_and_erase_on_either_database(database_url):
    """The SQL of the events' and the directory's answers (privacy.py) on SQLite and PostgreSQL: the
    registration is anonymised and its private notice leaves the outbox; the owner's address goes, the
    profile stays (next test)."""
    address = f"Ede.{uuid.uuid4().hex[:6]}@Example.org"
    erasure = PrivacyErasureRequested(request_id=uuid.uuid4().hex, email=address.lower())
    access = PrivacyAccessRequested(request_id=uuid.uuid4().hex, email=address.lower())
    async with migrated("events", database_url) as db:
        async with db.transaction() as session:
            store = SqlStore(session)
            starts = NOW + timedelta(days=10)
            event_id = await events_handlers.create_event(
                store,
                CreateEvent(title="Workshop", starts_at=starts, ends_at=starts + timedelta(hours=2), venue="Rathaus"),
                NOW,
            )
            await events_handlers.publish_event(store, event_id, NOW)
            for name, email in (("Ede", address), ("Frida", "frida@example.org")):
                await events_handlers.register(store, RegisterForEvent(event_id, name, email), NOW, "http://x".__add__)
        async with db.transaction() as session:
            shown, _ = await events_privacy.answer(session, access)
            answered, scrub = await events_privacy.answer(session, erasure)
            await scrub_outbox(session, events_models.outbox, scrub)
        async with db.reading() as session:
            people = dict((await session.execute(select(R.c.email, R.c.name).order_by(R.c.seq))).all())
            payloads = (await session.execute(select(events_models.outbox.c.payload))).scalars().all()
    assert [r["name"] for r in (shown.records or {})["registrations"]] == ["Ede"]
    assert answered.erased == {"registrations": 1, "outbox_rows": 1} and len(scrub) == 1
    assert people == {None: None, "frida@example.org": "Frida"}
    assert not any(address.lower() in payload.decode().lower() for payload in payloads)


async def test_the_directory_answers_and_erases_on_either_database(database_url):
    address = f"Ede.{uuid.uuid4().hex[:6]}@Example.org"
    erasure = PrivacyErasureRequested(request_id=uuid.uuid4().hex, email=address.lower())
    access = PrivacyAccessRequested(request_id=uuid.uuid4().hex, email=address.lower())
    profile = business("published", address, NOW) | {"email": address.lower()}
    async with migrated("directory", database_url) as db:
        async with db.transaction() as session:
            await session.execute(insert(B).values(profile))
            shown, _ = await directory_privacy.answer(session, access)
            answered, scrub = await directory_privacy.answer(session, erasure)
        async with db.reading() as session:
            row = (await session.execute(select(B.c.owner_email, B.c.email, B.c.name))).one()
    assert [p["business_id"] for p in (shown.records or {})["profiles"]] == [profile["id"]]
    assert answered.erased["owner_addresses"] == 1 and answered.erased["public_addresses"] == 1
    assert tuple(row) == (None, None, "Laden") and scrub == []
