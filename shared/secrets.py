"""Secrets: what production refuses (a missing secret, a placeholder, a short or monotonous one) and
the random secret a development setup keeps in its data dir."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit


def new_token(prefix: str = "hb") -> str:
    """A fresh credential, e.g. `hbo_…` for operators; high entropy, so a plain SHA-256 suffices."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


# Production refuses a missing secret and any value that looks like a placeholder: the examples in
# .env.example and deploy/k8s/secret.example.yaml, the words people type while setting up, and
# the public development key of earlier versions. Outside production nothing is refused.

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "operator", "token", "password", "admin", "test"}
PLACEHOLDER_MARKERS = (
    "replace",  # secret.example.yaml: replace-me-with-…, REPLACE
    "changeme",
    "change-me",
    "change_me",
    "placeholder",
    "example",
    "your-",
    "xxxx",
    "hallobot-development",  # the development key that earlier versions shipped in the source
)
MIN_SECRET_LENGTH = 16  # operator token, passwords in NATS and database URLs


def secret_problem(value: str | None, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """Why `value` is no secret fit for production (missing, a placeholder, short, monotonous), or None."""
    if value is None or not value.strip():
        return "is missing"
    folded = value.strip().lower()
    if folded in PLACEHOLDER_SECRETS or any(marker in folded for marker in PLACEHOLDER_MARKERS):
        return "is a placeholder"
    if len(value) < min_length:
        return f"is shorter than {min_length} characters"
    if len(set(value)) < 6:
        return "has too few different characters to be random"
    return None


def url_password_problem(url: str | None) -> str | None:
    """The problem of the password in a URL (`nats://user:password@…`, `postgresql://…`), if it has one."""
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return secret_problem(unquote(password)) if password is not None else None


def with_password(url: str, password: str | None) -> str:
    """`url` with `password` filled in when the URL names a user but carries no password of its own
    (`tls://wifi@nats:4222` + a password file → `tls://wifi:…@nats:4222`): the password can then come
    from a secret file (NATS_PASSWORD_FILE, <SERVICE>_DATABASE_PASSWORD_FILE) while the address stays
    an ordinary setting. A URL with a password of its own, or without a user, is left as it is."""
    if not password:
        return url
    split = urlsplit(url)
    if not split.username or split.password is not None:
        return url
    user, host = split.netloc.rsplit("@", 1)
    return urlunsplit(split._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))


def redacted_url(url: str) -> str:
    """A URL (or a comma-separated list, as NATS_URL) fit for a log line or a message: any password,
    and a token standing alone as the user (`nats://token@host`), replaced by ***."""
    parts = []
    for one in url.split(","):
        one = one.strip()
        split = urlsplit(one if "://" in one else f"nats://{one}")
        if split.password or (split.username and "@" in split.netloc):
            user = split.username or ""
            host = split.hostname or ""
            netloc = f"{user}:***@{host}" if split.password else f"***@{host}"
            if split.port:
                netloc += f":{split.port}"
            one = urlunsplit(split._replace(netloc=netloc))
        parts.append(one)
    return ",".join(parts)


def development_secret(path: Path) -> str:
    """A random secret kept in `path` (mode 0600), made on first use: a development setup without a
    configured key still has one that nobody else knows. Several processes may start at once: the
    first link wins, the others read its key."""
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_text().strip()
        if existing:
            return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(draft, path)  # atomic, and never over an existing key
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
