"""Delivery rules, without I/O: when to try again, which SMTP answers are final, which webhook
targets are allowed."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import timedelta


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
