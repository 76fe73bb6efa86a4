"""`hallobot up`'s data dir is private: it holds personal data (names and addresses in the
databases, whole mails in the sink), so the directory is 0700 and what is in it 0600."""

from __future__ import annotations

from pathlib import Path

# What `up` keeps in its data dir; only these are made private when an older `up` left them readable.
OWN_FILES = ("*.sqlite3", "*.sqlite3-*", "up.lock")
OWN_DIRS = ("logs", "mail", "nats")


def make_private(data_dir: Path) -> None:
    """The data dir 0700, and what `up` keeps in it readable by its user only (files 0600, dirs 0700):
    the databases hold names and addresses, the mail sink whole mails. New files get that from the
    umask `up` sets (hallobot/up.py); this mends a data dir an older version left open."""
    data_dir.chmod(0o700)
    paths = [path for pattern in OWN_FILES for path in data_dir.glob(pattern)]
    for name in OWN_DIRS:
        if (data_dir / name).is_dir():
            paths += [data_dir / name, *(data_dir / name).rglob("*")]
    for path in paths:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & 0o700)
