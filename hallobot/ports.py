"""Port checks that turn 'address already in use' into a sentence a person can act on."""

from __future__ import annotations

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


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
