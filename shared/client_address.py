"""Who is asking: the one answer to "which client sent this request" (rate limits, logs).

The client is the direct peer of the connection, unless that peer is one of the configured reverse
proxies (`HALLOBOT_TRUSTED_PROXIES`, CIDRs, none by default). Then it is the right-most
`X-Forwarded-For` entry that is not itself a trusted proxy: each proxy appends the address it saw, so
entries to the right of the first untrusted one were written by our proxies, and everything to its
left may have been made up by the client. `X-Forwarded-For` from any other peer is ignored, and
uvicorn's own proxy-header handling is off (`hallobot serve`), so nothing else rewrites the peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import Request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """`"10.0.0.0/8, 192.0.2.7"` or a list of such entries; a bare address is its own /32 or /128.
    Raises ValueError naming the entry that is not a network."""
    entries = value.split(",") if isinstance(value, str) else value
    networks = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR range: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An address as proxies write it: `192.0.2.7`, `2001:db8::1`, `[2001:db8::1]:443`, `192.0.2.7:80`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress | None, proxies: Sequence[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[IPNetwork]) -> str:
    """The client's address as text (see the module's docstring); `unknown` without a peer."""
    if not peer:
        return UNKNOWN
    peer_address = _address(peer)
    if not forwarded_for or not _trusted(peer_address, proxies):
        return str(peer_address or peer)
    entries = [entry for entry in forwarded_for.split(",") if entry.strip()]
    for entry in reversed(entries):
        address = _address(entry)
        if not _trusted(address, proxies):
            # What our proxy wrote: an address, or (rarely) a token such as "unknown" that stays as is.
            return str(address) if address is not None else entry.strip()[:100]
    # Every entry is one of our proxies: the request began there.
    return str(_address(entries[0]) or peer_address) if entries else str(peer_address)


def request_client(request: Request) -> str:
    """The client of a request under the app's settings (`trusted_proxies`)."""
    proxies: Sequence[IPNetwork] = request.app.state.settings.trusted_proxy_networks()
    peer = request.client.host if request.client else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))  # several header lines: in order
    return client_address(peer, forwarded, proxies)
