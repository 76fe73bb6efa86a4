"""The subscription life cycle through the use cases, against an in-memory repository (no database,
no broker): pending until confirmed, confirmed once, one-click unsubscribe that can be clicked
twice, nothing for an ended subscription, the daily digest holding what the immediate sends."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from services.notifications import domain, handlers
from services.notifications.config import NotificationsSettings
from services.notifications.domain import Subscription
from services.notifications.handlers_fanout import fan_out
from services.notifications.handlers_public import track_hotspot
from services.notifications.sentences import Names
from services.notifications.webhooks import Target
from shared.catalog import (
    CriterionMet,
    HotspotOutageAnnounced,
    HotspotRenamed,
    HotspotStatusChanged,
    RecertificationDue,
)
from shared.envelope import CloudEvent, utcnow
from shared.errors import Conflict, Invalid, NotFound

SETTINGS = NotificationsSettings(
    site_url="https://site.test",
    secret_key=SecretStr("unit-test-key"),
    operator_emails="amt@bottrop.de",
)
KEY = SETTINGS.secret_key.get_secret_value()
ONCE = ("event_id", "recipient_ref", "template")


class FakeRepository:
    """The repository of handlers*.py in memory, with the same exactly-once key for deliveries."""

    def __init__(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.sites = {"kirchplatz": "Kirchplatz", "rathaus": "Rathaus"}  # the hotspot board
        self.calendar: dict[str, dict[str, Any]] = {}
        self.entries: list[str] = []
        self.visibility: dict[str, tuple[bool, datetime]] = {}

    async def subscription(self, subscription_id: str) -> Subscription | None:
        stored = self.subscriptions.get(subscription_id)
        return None if stored is None else replace(stored)  # a copy, as a fresh read would be

    async def add(self, subscription: Subscription) -> None:
        self.subscriptions[subscription.id] = replace(subscription)

    async def save(self, subscription: Subscription) -> None:
        if subscription.changed:
            self.subscriptions[subscription.id] = replace(subscription, changed=False)
            subscription.changed = False

    async def active(self) -> list[Subscription]:
        return [replace(s) for s in self.subscriptions.values() if s.status == "active"]

    async def drop_queued(self, subscription_id: str, reason: str) -> None:
        for row in self.deliveries:
            queued = row["status"] in ("pending", "held") and row["template"] != "confirm"
            if row["subscription_id"] == subscription_id and queued:
                row.update(status="dead", last_error=reason)

    async def stage(self, rows: list[dict[str, Any]]) -> int:
        seen = {tuple(row[k] for k in ONCE) for row in self.deliveries}
        new = [row for row in rows if tuple(row[k] for k in ONCE) not in seen]
        self.deliveries += new
        return len(new)

    async def allowlist(self) -> list[str]:
        return list(self.entries)

    async def allow(self, entry: str, now: datetime) -> None:
        self.entries.append(entry)

    async def business_visibility(self, business_id: str) -> tuple[bool, datetime] | None:
        return self.visibility.get(business_id)

    async def set_business_visibility(self, business_id: str, published: bool, at: datetime) -> None:
        self.visibility[business_id] = (published, at)

    async def set_calendar_event(self, event_id: str, values: dict[str, Any]) -> None:
        self.calendar[event_id] = values

    async def set_hotspot(self, hotspot_id: str, values: dict[str, Any]) -> None:
        if values.get("site_name"):
            self.sites[hotspot_id] = values["site_name"]

    async def names_for(self, hotspot_ids: list[str], event_ids: list[str], series: Sequence[str] = ()) -> Names:
        return Names(
            hotspots={h: self.sites[h] for h in hotspot_ids if h in self.sites},
            events={e: self.calendar[e]["title"] for e in event_ids if e in self.calendar},
            series={v["series"]: v["title"] for v in self.calendar.values() if v.get("series") in series},
        )

    def to(self, recipient: str, status: str | None = None, template: str = "notification") -> list[dict[str, Any]]:
        """The mails about events (or of another template) to this recipient, in any or one status."""
        return [
            r
            for r in self.deliveries
            if r["recipient"] == recipient and r["template"] == template and status in (None, r["status"])
        ]


def outage(hotspot: str = "kirchplatz") -> CloudEvent:
    return HotspotOutageAnnounced(outage_id="o1", hotspot_id=hotspot, site_name="Kirchplatz", since=utcnow()).to_event()


async def subscribe(repo: FakeRepository, address: str = "bea@example.org", digest: str = "immediate") -> Subscription:
    subscription, secret = await handlers.subscribe(
        repo,
        SETTINGS,
        channel="email",
        address=address,
        topics=["wifi.hotspot.*"],
        filters={"hotspot_id": "kirchplatz"},
        language="de",
        digest=digest,
    )
    assert secret is None
    return subscription


def token(purpose: str, subscription: Subscription, valid_for_s: int = 3600) -> str:
    if purpose == "confirm":
        return domain.confirm_token(KEY, subscription.id, int(time.time()) + valid_for_s)
    return domain.link_token(KEY, purpose, subscription.id)


async def test_a_new_email_subscription_is_pending_gets_a_confirmation_mail_and_hears_nothing_yet():
    repo = FakeRepository()
    subscription = await subscribe(repo)
    assert subscription.status == "pending" and subscription.confirmed_at is None
    (confirmation,) = repo.deliveries
    assert confirmation["template"] == "confirm" and confirmation["status"] == "pending"
    link = re.search(r"(https://site\.test/abonnieren/bestaetigen\?\S+)", confirmation["body"]).group(1)
    query = parse_qs(urlsplit(link).query)
    assert query["abo"] == [subscription.id] and query["lang"] == ["de"]
    assert domain.link_state(KEY, "confirm", subscription.id, query["token"][0], utcnow()) == "valid"
    assert "Störungen am WLAN-Hotspot Kirchplatz" in confirmation["body"]  # the choice in words

    assert await fan_out(repo, SETTINGS, outage()) == 1  # only the office hears of it
    assert repo.to("bea@example.org") == []
    assert len(repo.to("amt@bottrop.de")) == 1


async def test_a_subscription_is_confirmed_once_and_a_second_click_changes_nothing():
    repo = FakeRepository()
    subscription = await subscribe(repo)
    with pytest.raises(NotFound):
        await handlers.confirm(repo, SETTINGS, subscription.id, "not-the-token")
    first = await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    again = await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    assert first.status == again.status == "active"
    assert again.confirmed_at == first.confirmed_at
    assert repo.subscriptions[subscription.id].confirmed_at == first.confirmed_at


async def test_an_expired_confirmation_link_confirms_nothing_and_asks_for_a_new_link_sent_to_the_address():
    repo = FakeRepository()
    subscription = await subscribe(repo)
    expired = token("confirm", subscription, valid_for_s=-1)
    with pytest.raises(Conflict):
        await handlers.confirm(repo, SETTINGS, subscription.id, expired)
    assert repo.subscriptions[subscription.id].status == "pending"

    await handlers.send_confirmation_again(repo, SETTINGS, subscription.id, expired, mail_due=True)
    _, again = repo.to("bea@example.org", template="confirm")
    assert "/abonnieren/bestaetigen?" in again["body"] and again["status"] == "pending"
    with pytest.raises(NotFound):  # a forged token asks for nothing
        await handlers.send_confirmation_again(repo, SETTINGS, subscription.id, expired + "x", mail_due=True)
    await handlers.send_confirmation_again(repo, SETTINGS, subscription.id, expired, mail_due=False)
    assert len(repo.to("bea@example.org", template="confirm")) == 2  # within the window: no third mail


async def test_one_click_unsubscribe_is_idempotent_and_an_ended_subscription_gets_no_mail():
    repo = FakeRepository()
    subscription = await subscribe(repo)
    await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    assert await fan_out(repo, SETTINGS, outage()) == 2  # the subscriber and the office
    (queued,) = repo.to("bea@example.org", "pending")
    assert queued["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    ended = await handlers.unsubscribe(repo, SETTINGS, subscription.id, token("unsubscribe", subscription))
    again = await handlers.unsubscribe(repo, SETTINGS, subscription.id, token("unsubscribe", subscription))
    assert ended.status == again.status == "unsubscribed" and again.ended_at == ended.ended_at
    assert queued["status"] == "dead" and queued["last_error"] == "unsubscribed"  # not yet sent: dropped
    assert repo.to("bea@example.org", "pending", template="confirm")  # the confirmation mail is left alone

    assert await fan_out(repo, SETTINGS, outage()) == 1  # the office only
    assert repo.to("bea@example.org") == [queued]  # nothing new for the ended subscription
    with pytest.raises(Conflict):
        await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    assert not repo.subscriptions[subscription.id].hears("wifi.hotspot.status_changed", {"hotspot_id": "kirchplatz"})


async def test_a_daily_subscriber_has_mails_held_for_the_digest_while_an_immediate_one_gets_them_at_once():
    repo = FakeRepository()
    daily = await subscribe(repo, "daily@example.org", digest="daily")
    now = await subscribe(repo, "now@example.org")
    for subscription in (daily, now):
        await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    event = outage()
    assert await fan_out(repo, SETTINGS, event) == 3
    assert await fan_out(repo, SETTINGS, event) == 0  # the same event again stages nothing
    (held,) = repo.to("daily@example.org", "held")
    (sent_now,) = repo.to("now@example.org", "pending")
    assert held["subject"] == sent_now["subject"]
    assert held["subject"].startswith("WLAN-Hotspot Kirchplatz ist ausgefallen: keine Meldung seit ")
    await fan_out(repo, SETTINGS, outage(hotspot="rathaus"))  # filtered: another hotspot
    assert len(repo.to("daily@example.org")) == len(repo.to("now@example.org")) == 1


async def test_a_webhook_to_a_private_address_needs_the_allowlist_and_is_active_at_once():
    repo = FakeRepository()
    target = Target("http://10.20.1.5/hook", "10.20.1.5", ["10.20.1.5"])  # resolved before, no DNS here
    webhook = dict(channel="webhook", topics=["wifi.hotspot.*"], filters={}, language="de", digest="immediate")
    with pytest.raises(Invalid, match="allowlist"):
        await handlers.subscribe(repo, SETTINGS, target=target, **webhook)
    assert await handlers.allow(repo, "10.20.0.0/16 ") == "10.20.0.0/16"
    subscription, secret = await handlers.subscribe(repo, SETTINGS, target=target, **webhook)
    assert subscription.status == "active" and secret and secret.startswith("whsec_")
    assert not repo.deliveries  # no confirmation for an operator's webhook
    await fan_out(repo, SETTINGS, outage())
    (call,) = [r for r in repo.deliveries if r["channel"] == "webhook"]
    assert call["recipient"] == "http://10.20.1.5/hook" and call["template"] == "cloudevent"


def test_unknown_topics_and_filters_are_refused_before_anything_is_stored():
    choice = dict(channel="email", language="de", digest="immediate", now=utcnow(), address="a@example.org")
    with pytest.raises(Invalid, match="unknown topic"):
        Subscription.request("s1", topics=["wifi.nothing"], filters={}, **choice)
    with pytest.raises(Invalid, match="unknown filter"):
        Subscription.request("s1", topics=["wifi.hotspot.*"], filters={"colour": "red"}, **choice)


async def test_a_directory_subscriber_hears_only_of_profiles_while_the_office_has_them_published():
    from services.notifications.handlers_public import track_business
    from shared.catalog import (
        BusinessArchived,
        BusinessPublished,
        BusinessRegistered,
        BusinessUnpublished,
        BusinessUpdated,
    )

    repo = FakeRepository()
    subscription, _ = await handlers.subscribe(
        repo,
        SETTINGS,
        channel="email",
        address="cit@example.org",
        topics=["directory.*"],
        filters={},
        language="de",
        digest="immediate",
    )
    await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    phish = "Ihr Konto wird gesperrt. Jetzt bestätigen: https://evil.example/login"

    async def consume(data):  # as the consumer does: fan out, then note the profile's state
        event = data.to_event()
        await fan_out(repo, SETTINGS, event)
        await track_business(repo, event)

    await consume(BusinessRegistered(business_id="b1", name=phish, category="handwerk", self_registered=True))
    await consume(BusinessUpdated(business_id="b1", name=phish + "!", category="handwerk", changed=["name"]))
    await consume(BusinessArchived(business_id="b1", name=phish + "!", category="handwerk"))  # never published
    assert not repo.to("cit@example.org")

    await consume(BusinessRegistered(business_id="b2", name="Weltladen", category="einzelhandel", self_registered=True))
    await consume(BusinessPublished(business_id="b2", name="Weltladen", category="einzelhandel"))
    await consume(
        BusinessUpdated(business_id="b2", name="Weltladen Bottrop", category="einzelhandel", changed=["name"])
    )
    await consume(BusinessUnpublished(business_id="b2", name="Weltladen Bottrop", category="einzelhandel"))
    await consume(BusinessUpdated(business_id="b2", name=phish, category="einzelhandel", changed=["name"]))
    subjects = [row["subject"] for row in repo.to("cit@example.org")]
    assert subjects == [
        "Neu im Verzeichnis: Weltladen.",
        "Eintrag geändert: Weltladen Bottrop.",
        "Nicht mehr im Verzeichnis: Weltladen Bottrop.",
    ]
    assert not any(
        "evil.example" in row["body"] + row["html"]
        for row in repo.deliveries
        if row["channel"] == "email" and row["recipient"] != "amt@bottrop.de"
    )


async def test_the_office_reminder_to_renew_the_title_links_to_the_dossier_and_criteria_are_named_in_german():
    repo = FakeRepository()
    due = RecertificationDue(expires_on=date(2027, 11, 26), days_left=90).to_event()
    assert await fan_out(repo, SETTINGS, due) == 1
    (reminder,) = repo.to("amt@bottrop.de")
    dossier = "https://site.test/verwaltung/fairtrade/dossier"
    assert (
        "26. November 2027" in reminder["subject"]
        and f"(Dossier als PDF, Kennzahlen als CSV): {dossier}" in (reminder["body"])
    )
    assert f'<a href="{dossier}">' in reminder["html"]
    met = CriterionMet(criterion="civil_society", count=3, target=3, detail={"kita": 1, "school": 0}).to_event()
    assert await fan_out(repo, SETTINGS, met) == 1
    mail = repo.to("amt@bottrop.de")[-1]
    assert "„Kitas, Schulen, Vereine und Kirchen“ ist erfüllt" in mail["body"]
    assert "civil_society" not in mail["body"] + mail["subject"] and dossier not in mail["body"]


async def test_a_renamed_site_is_named_by_its_new_name_in_the_office_mail_and_the_subscribers_mail():
    repo = FakeRepository()
    subscription = await subscribe(repo, "neu@example.org")
    await handlers.confirm(repo, SETTINGS, subscription.id, token("confirm", subscription))
    renamed = HotspotRenamed(hotspot_id="kirchplatz", site_name="Cyriakusplatz", previous_site_name="Kirchplatz")
    await track_hotspot(repo, renamed.to_event())
    old_style = HotspotStatusChanged(hotspot_id="kirchplatz", previous="up", status="degraded", since=utcnow())
    await fan_out(repo, SETTINGS, old_style.to_event())  # an event without a name of its own: the board's
    (mail,) = repo.to("neu@example.org")
    assert mail["subject"] == "WLAN-Hotspot Cyriakusplatz ist jetzt eingeschränkt (vorher in Betrieb)."
    announced = HotspotOutageAnnounced(outage_id="o2", hotspot_id="kirchplatz", site_name="Am Dom", since=utcnow())
    await fan_out(repo, SETTINGS, announced.to_event())  # the event's own name is the newest
    assert repo.to("amt@bottrop.de")[-1]["subject"].startswith("[Amt] WLAN-Hotspot Am Dom ist ausgefallen")
