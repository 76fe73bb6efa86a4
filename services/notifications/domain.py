"""Rules of the notifications service, without I/O: the subscription life cycle, who hears about
what, links and pseudonyms. (Delivery rules, retries and webhook targets: delivery_rules.py.)

A subscription's life: an email subscription starts `pending` and waits for its confirmation link
(double opt-in); confirming makes it `active` (once: a second click changes nothing). A webhook is
`active` at once (an operator created it). Unsubscribing (one click, RFC 8058) ends it for good:
`unsubscribed`, and a second click changes nothing either. Only an `active` subscription hears of
events; a daily one's mails are held for the digest. A webhook that keeps failing is `disabled`
until an operator enables it again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from shared.catalog import CATALOG
from shared.errors import Conflict, Invalid

# Topics a subscriber may choose: every public event type (private types never leave the service).
PUBLIC_TYPES = sorted(name for name in CATALOG if not name.startswith(("private.", "notifications.")))
# Narrowing a subscription: one hotspot, one event series or event, one business, one criterion.
FILTER_KEYS = ("hotspot_id", "series", "event_id", "business_id", "criterion")

Channel = Literal["email", "webhook"]
Status = Literal["pending", "active", "unsubscribed", "disabled"]


def topic_is_known(topic: str) -> bool:
    """A topic is an event type or a prefix pattern ending in `*`, e.g. `wifi.hotspot.*`."""
    if topic.endswith("*"):
        prefix = topic[:-1]
        return any(name.startswith(prefix) for name in PUBLIC_TYPES)
    return topic in PUBLIC_TYPES


def topic_matches(topic: str, event_type: str) -> bool:
    if topic.endswith("*"):
        return event_type.startswith(topic[:-1])
    return topic == event_type


def wants(topics: list[str], filters: dict[str, str], event_type: str, data: dict[str, Any]) -> bool:
    """Do these topics and filters want this event?"""
    if not any(topic_matches(topic, event_type) for topic in topics):
        return False
    for key, value in filters.items():
        if key == "hotspot_id" and key not in data and "hotspot_ids" in data:
            if value not in data["hotspot_ids"]:
                return False
        elif str(data.get(key)) != value:
            return False
    return True


def check_choice(topics: list[str], filters: dict[str, str]) -> None:
    for topic in topics:
        if not topic_is_known(topic):
            raise Invalid(f"unknown topic {topic!r}; see GET /topics", field="topics")
    for key in filters:
        if key not in FILTER_KEYS:
            raise Invalid(f"unknown filter {key!r}; use one of {', '.join(FILTER_KEYS)}", field="filters")


@dataclass
class Subscription:
    """One subscriber's choice of topics on one channel, and where it stands in its life."""

    id: str
    channel: Channel
    topics: list[str]
    filters: dict[str, str]
    language: str
    digest: str  # immediate | daily
    status: Status
    created_at: datetime
    address: str | None = None  # email channel
    url: str | None = None  # webhook channel
    secret: str | None = None  # webhook signing secret
    failures: int = 0  # consecutive failed webhook attempts
    confirmed_at: datetime | None = None
    ended_at: datetime | None = None
    changed: bool = field(default=False, compare=False)  # the store writes only what changed

    @classmethod
    def request(
        cls,
        id: str,
        *,
        channel: Channel,
        topics: list[str],
        filters: dict[str, str],
        language: str,
        digest: str,
        now: datetime,
        address: str | None = None,
        url: str | None = None,
        secret: str | None = None,
    ) -> Subscription:
        """Email waits for its confirmation (double opt-in); a webhook (an operator's) is active at once."""
        check_choice(topics, filters)
        if channel == "webhook" and digest != "immediate":
            raise Invalid("webhooks are delivered immediately", field="digest")
        pending = channel == "email"
        return cls(
            id=id,
            channel=channel,
            topics=topics,
            filters=filters,
            language=language,
            digest=digest,
            status="pending" if pending else "active",
            created_at=now,
            address=address,
            url=url,
            secret=secret,
            confirmed_at=None if pending else now,
        )

    @property
    def needs_confirmation(self) -> bool:
        return self.status == "pending"

    def confirm(self, now: datetime) -> None:
        """pending → active; a second confirmation changes nothing; an ended one cannot come back."""
        if self.status == "pending":
            self.status, self.confirmed_at, self.changed = "active", now, True
        elif self.status != "active":
            raise Conflict(f"this subscription is {self.status}")

    def end(self, now: datetime) -> None:
        """Unsubscribe: final, and a second click changes nothing (the first end time stays)."""
        if self.status != "unsubscribed":
            self.status, self.ended_at, self.changed = "unsubscribed", now, True

    def enable(self) -> None:
        """An operator switches a (disabled) webhook on again, with a clean failure count."""
        if self.channel != "webhook" or self.status not in ("disabled", "active"):
            raise Conflict("only webhook subscriptions that were disabled can be enabled")
        self.status, self.failures, self.changed = "active", 0, True

    @property
    def receives(self) -> bool:
        """Only an active subscription gets anything: not before confirming, never after it ended."""
        return self.status == "active"

    def hears(self, event_type: str, data: dict[str, Any]) -> bool:
        """An active subscription hears of what it chose."""
        return self.receives and wants(self.topics, self.filters, event_type, data)

    @property
    def held_for_digest(self) -> bool:
        """A daily subscriber's mails wait for the digest; everyone else's go at once."""
        return self.digest == "daily"


# --- built-in recipients: the office ------------------------------------------------------


def operator_wants(event_type: str, data: dict[str, Any]) -> bool:
    """What the office hears about without subscribing: outages and recoveries, the hotspots' monthly
    Wifi4EU figures, reviews, Fairtrade.

    Wifi outages as the wifi service tells them, once their incident window has closed: sites that failed
    together are one incident (one mail naming them all, one when they are back), a site alone its own
    outage and recovery. A hotspot's status changes themselves reach the office by no mail."""
    if event_type == "directory.business.registered":
        return bool(data.get("self_registered"))
    return event_type in {
        "wifi.hotspot.incident_opened",
        "wifi.hotspot.incident_resolved",
        "wifi.hotspot.monthly_report",
        "wifi.hotspot.outage_announced",
        "wifi.hotspot.recovery_announced",
        "fairtrade.criterion.met",
        "fairtrade.criterion.lost",
        "fairtrade.recertification.due",
        "fairtrade.milestone.reached",
    }


# The console page an office mail about an event links to (behind HALLOBOT_SITE_URL): the renewal
# dossier for the recertification reminders.
OFFICE_PAGES = {"fairtrade.recertification.due": "/verwaltung/fairtrade/dossier"}


def office_page_url(site_url: str, event_type: str) -> str | None:
    path = OFFICE_PAGES.get(event_type)
    return f"{site_url.rstrip('/')}{path}" if path else None


# --- keys, links and pseudonyms -----------------------------------------------------------


def _mac(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def pseudonym(key: str, recipient: str) -> str:
    """Keyed hash of an address or URL: stable per recipient, not reversible without the key."""
    return "psn_" + _mac(key, "recipient", recipient.strip().lower())[:32]


def link_token(key: str, purpose: str, subscription_id: str) -> str:
    """Unsubscribe tokens are derived, not stored: every mail can carry a working link, for good."""
    return _mac(key, purpose, subscription_id)[:40]


def confirm_token(key: str, subscription_id: str, expires: int) -> str:
    """A confirmation token that holds its own end (Unix seconds): `<expires>.<mac>`; a new one (the
    link requested again) does not revive the old one."""
    return f"{expires}.{_mac(key, 'confirm', subscription_id, str(expires))[:40]}"


LinkState = Literal["valid", "expired", "invalid"]


def link_state(key: str, purpose: str, subscription_id: str, token: str, now: datetime) -> LinkState:
    """Is a link's token ours for this subscription, and (a confirmation) still in time?"""
    expires = None
    if purpose == "confirm":
        stamp, _, _mac_part = token.partition(".")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
            return "invalid"
        expires = int(stamp)
        expected = confirm_token(key, subscription_id, expires)
    else:
        expected = link_token(key, purpose, subscription_id)
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a link may carry anything.
    if not hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace")):
        return "invalid"
    if expires is not None and now.timestamp() > expires:
        return "expired"
    return "valid"


def token_valid(key: str, purpose: str, subscription_id: str, token: str, now: datetime) -> bool:
    return link_state(key, purpose, subscription_id, token, now) == "valid"


def confirm_url(key: str, site_url: str, subscription_id: str, language: str, expires: int) -> str:
    """The confirmation page on the website (the front door): one button there confirms."""
    query = urlencode({"abo": subscription_id, "token": confirm_token(key, subscription_id, expires), "lang": language})
    return f"{site_url.rstrip('/')}/abonnieren/bestaetigen?{query}"


def unsubscribe_url(key: str, site_url: str, subscription_id: str, language: str) -> str:
    """The unsubscribe page on the website; a POST to it (RFC 8058 one-click, or its one button) ends it."""
    query = urlencode(
        {"abo": subscription_id, "token": link_token(key, "unsubscribe", subscription_id), "lang": language}
    )
    return f"{site_url.rstrip('/')}/abonnieren/abmelden?{query}"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to the URL."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
