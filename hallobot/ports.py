"""Port checks that turn 'address already in use' into a sentence a person can act on."""

from __future__ import annotations

import random
import socket
import sys


def is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def ensure_free(host: str, port: int, what: str, hint: str = "") -> bool:
    if is_free(host, port):
        return True
    print(
        f"hallobot: port {port} on {host} is already in use, so {what} cannot start there.\n"
        f"  Stop the program that holds it, or choose another port{(': ' + hint) if hint else '.'}",
        file=sys.stderr,
    )
    return False


_handed_out: set[int] = set()
LOWEST_PORT = 10_000


def _ephemeral_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
            return int(ranges.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on, for a server started a moment later. It lies below the kernel's
    ephemeral range: a port the kernel hands out for bind(0) can be taken by any outgoing
    connection before the server binds it (a cluster node dialing its peers did just that).
    Each port is handed out once per process."""
    start = _ephemeral_start()
    if start - LOWEST_PORT >= 1000:
        for _ in range(200):
            port = random.randrange(LOWEST_PORT, start)
            if port not in _handed_out and is_free(host, port):
                _handed_out.add(port)
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        bound: int = probe.getsockname()[1]
        return bound
