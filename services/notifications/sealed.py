"""Cancel links at rest: sealed (Fernet: AES-128-CBC and HMAC-SHA256, from `cryptography`) with a key
derived from NOTIFICATIONS_SECRET_KEY, so the database alone (a dump, a backup, a read-only
replica) holds no working cancel token. Pure functions, no I/O.

`cryptography` is loaded with the first cancel link sealed or opened, not with the service: its
library is 8 MiB of the service's memory (bench/README.md), and only registrations' mails need it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


@cache
def _box(secret_key: str) -> Fernet:
    from cryptography.fernet import Fernet

    key = hmac.new(secret_key.encode(), b"hallobot registrant cancel links", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, text: str) -> str:
    return _box(secret_key).encrypt(text.encode()).decode("ascii")


def unseal(secret_key: str, sealed: str) -> str | None:
    """The text, or None when it was sealed with another key (the key was changed: the later mails
    of a registration then go without their cancel link, never with a wrong one)."""
    from cryptography.fernet import InvalidToken

    try:
        return _box(secret_key).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
