"""The search page's results kept in memory for a few seconds (`DIRECTORY_SEARCH_CACHE_S`, 0 = off).

Why: the page is the directory's busiest, and most visitors ask the same few questions (the first
page, a category, "open now"). A hit skips the database session and its statement: the page then
costs little more than rendering (bench/frontdoor.py measures both, with and without the cache).

When a result is no longer served:
- at once on this instance after any write transaction it committed (`Database.writes_committed`
  changes: a publish in the console shows on the next page view);
- after `ttl_s` for changes made by another instance of the directory (several replicas), which is
  the most a visitor can see an outdated list;
- "open now" results are keyed by the minute, because they change with the clock; a card's "open now"
  badge is computed on every request from the cached opening hours anyway.

A plain dict with a size bound, not a cache library: the entry's validity depends on the database's
write count as well as its age, which the usual TTL caches cannot express.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from time import monotonic

from services.directory.queries import Found

MAX_ENTRIES = 512  # distinct questions kept; the oldest goes first


@dataclass(frozen=True, slots=True)
class _Entry:
    writes: int
    stored_at: float
    found: Found


class SearchCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[Hashable, _Entry] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, key: Hashable, writes: int) -> Found | None:
        """The cached page and count for `key`, if stored after the last write and within the TTL."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.writes != writes or monotonic() - entry.stored_at > self.ttl_s:
            del self._entries[key]
            return None
        return entry.found

    def put(self, key: Hashable, writes: int, found: Found) -> None:
        if not self.enabled:
            return
        if len(self._entries) >= MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = _Entry(writes, monotonic(), found)
