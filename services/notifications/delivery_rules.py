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
#
# An IPv6 address can carry an IPv4 address that the network turns back into IPv4 on the way (a
# NAT64 gateway, a 6to4 or Teredo relay) or that an old stack reads as IPv4 (mapped, compatible,
# translated forms). Each such form is judged by every IPv4 address it carries as well as by itself,
# so that `[::127.0.0.1]` or `[64:ff9b::7f00:1]` is loopback, whatever `ipaddress` thinks of the
# IPv6 form on this Python version.

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local-use NAT64, never global
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 (SIIT)
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291, deprecated: ::a.b.c.d
# Forms that only carry an IPv4 address: judged by that address (the IPv6 form alone would count as
# reserved, `::/8`, and refuse even a public system behind NAT64).
CARRIERS = (NAT64_WELL_KNOWN, IPV4_TRANSLATED, IPV4_COMPATIBLE)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries: mapped, compatible, translated, NAT64 (the
    well-known prefix), 6to4, and Teredo's server and (de-obfuscated) client."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if any(ip in net for net in CARRIERS):
        found.append(low32)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def forms(address: str) -> list[Address]:
    """The address itself (its scope id dropped) and every IPv4 address it carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return [ip, *embedded_ipv4(ip)] if isinstance(ip, ipaddress.IPv6Address) else [ip]


def _not_public(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL:
            return True
        if ip.ipv4_mapped is not None or any(ip in net for net in CARRIERS):
            return ip.is_loopback or ip.is_unspecified  # judged by the IPv4 address it carries
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_link_local


def address_is_private(address: str) -> bool:
    """Loopback, private, link-local, shared, reserved, multicast or unspecified: in any of its forms.
    An address that does not parse counts as private."""
    try:
        return any(_not_public(ip) for ip in forms(address))
    except ValueError:
        return True


def _covered(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """In an allowlisted range: the address, or for an IPv6 form that carries IPv4 addresses, each
    of them (`[::ffff:10.20.1.1]` is covered by 10.20.0.0/16)."""
    try:
        ip, *carried = forms(address)
    except ValueError:
        return False
    if any(ip in net for net in networks):
        return True
    return bool(carried) and all(any(v4 in net for net in networks) for v4 in carried)


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
    return bool(addresses) and all(_covered(a, networks) for a in addresses)


def target_refusal(host: str, addresses: list[str], allowlist: list[str]) -> str | None:
    """Why a webhook may not go to `host` (resolved to `addresses`), or None when it may. The sender
    then dials exactly these addresses (webhooks.post), never a second lookup's answer."""
    if not addresses:
        return f"{host} does not resolve"
    if any(address_is_private(a) for a in addresses) and not allowlisted(host, addresses, allowlist):
        return f"{host} is on a loopback, link-local or private network; an operator must allowlist it"
    return None
