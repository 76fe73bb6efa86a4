"""Rules of the notifications service, without I/O: who hears about what, links, pseudonyms, backoff."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.catalog import CATALOG

# Topics a subscriber may choose: every public event type (private types never leave the service).
PUBLIC_TYPES = sorted(name for name in CATALOG if not name.startswith(("private.", "notifications.")))
# Narrowing a subscription: one hotspot, one event series or event, one business, one criterion.
FILTER_KEYS = ("hotspot_id", "series", "event_id", "business_id", "criterion")


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
    """Does a subscription with these topics and filters want this event?"""
    if not any(topic_matches(topic, event_type) for topic in topics):
        return False
    for key, value in filters.items():
        if key == "hotspot_id" and key not in data and "hotspot_ids" in data:
            if value not in data["hotspot_ids"]:
                return False
        elif str(data.get(key)) != value:
            return False
    return True


# --- built-in recipients: the office ------------------------------------------------------


def operator_wants(event_type: str, data: dict[str, Any]) -> bool:
    """What the office hears about without subscribing: outages and recoveries, reviews, Fairtrade."""
    if event_type == "wifi.hotspot.status_changed":
        return data.get("status") == "down" or data.get("previous") == "down"
    if event_type == "directory.business.registered":
        return bool(data.get("self_registered"))
    return event_type in {
        "wifi.hotspot.incident_opened",
        "wifi.hotspot.incident_resolved",
        "fairtrade.criterion.met",
        "fairtrade.criterion.lost",
        "fairtrade.recertification.due",
        "fairtrade.milestone.reached",
    }


# --- keys, links and pseudonyms -----------------------------------------------------------


def _mac(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def pseudonym(key: str, recipient: str) -> str:
    """Keyed hash of an address or URL: stable per recipient, not reversible without the key."""
    return "psn_" + _mac(key, "recipient", recipient.strip().lower())[:32]


def link_token(key: str, purpose: str, subscription_id: str) -> str:
    """Confirm/unsubscribe tokens are derived, not stored: every mail can carry a working link."""
    return _mac(key, purpose, subscription_id)[:40]


def token_valid(key: str, purpose: str, subscription_id: str, token: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII strings, and a link may carry anything.
    return hmac.compare_digest(link_token(key, purpose, subscription_id).encode(), token.encode("utf-8", "replace"))


# --- retries --------------------------------------------------------------------------------


def backoff(attempts: int, base_s: float, max_s: float) -> timedelta:
    """Wait before try n+1 after n failed tries: base, 2·base, 4·base, … capped."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class SmtpOutcome:
    retry: bool  # transient (unreachable, 4xx): try again later; else the address is refused (5xx)
    reason: str


def classify_smtp_failure(code: int | None, message: str) -> SmtpOutcome:
    if code is not None and 500 <= code < 600:
        return SmtpOutcome(False, f"{code} {message}"[:500])
    return SmtpOutcome(True, (f"{code} {message}" if code else message)[:500])


# --- webhook targets --------------------------------------------------------------------------


def address_is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def allowlisted(host: str, addresses: list[str], allowlist: list[str]) -> bool:
    """An entry is a host name or a CIDR range; every resolved address must be covered."""
    if host.lower() in {entry.lower() for entry in allowlist}:
        return True
    networks = []
    for entry in allowlist:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return bool(addresses) and all(any(ipaddress.ip_address(a) in net for net in networks) for a in addresses)


def target_refusal(host: str, addresses: list[str], allowlist: list[str]) -> str | None:
    """Why a webhook may not go to `host` (resolved to `addresses`), or None when it may."""
    if not addresses:
        return f"{host} does not resolve"
    if any(address_is_private(a) for a in addresses) and not allowlisted(host, addresses, allowlist):
        return f"{host} is on a loopback, link-local or private network; an operator must allowlist it"
    return None
