"""The search page's cache of result lists (services/directory/search_cache.py): an entry is served only
while no write was committed since it was stored and it is younger than the TTL."""

from __future__ import annotations

import pytest

from services.directory import search_cache
from services.directory.queries import Found
from services.directory.search_cache import SearchCache

PAGE = Found([{"id": "a", "name": "Blumen Kemper"}], total=1)


def test_an_entry_is_served_while_nothing_was_written():
    cache = SearchCache(ttl_s=5)
    cache.put(("blumen", 1), writes=3, found=PAGE)
    assert cache.get(("blumen", 1), writes=3) == PAGE
    assert cache.get(("blumen", 2), writes=3) is None


def test_a_write_committed_after_the_entry_ends_it():
    cache = SearchCache(ttl_s=5)
    cache.put("key", writes=3, found=PAGE)
    assert cache.get("key", writes=4) is None
    assert cache.get("key", writes=3) is None  # dropped, not kept for an older count


def test_an_entry_older_than_the_ttl_is_not_served(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(search_cache, "monotonic", lambda: clock[0])
    cache = SearchCache(ttl_s=5)
    cache.put("key", writes=0, found=PAGE)
    clock[0] = 104.9
    assert cache.get("key", writes=0) == PAGE
    clock[0] = 105.1
    assert cache.get("key", writes=0) is None


def test_a_ttl_of_zero_keeps_nothing():
    cache = SearchCache(ttl_s=0)
    cache.put("key", writes=0, found=PAGE)
    assert not cache.enabled
    assert cache.get("key", writes=0) is None


@pytest.mark.parametrize("extra", [1, 10])
def test_the_cache_keeps_at_most_its_bound_dropping_the_oldest(extra):
    cache = SearchCache(ttl_s=5)
    for number in range(search_cache.MAX_ENTRIES + extra):
        cache.put(number, writes=0, found=Found([], total=number))
    assert cache.get(0, writes=0) is None
    assert cache.get(search_cache.MAX_ENTRIES + extra - 1, writes=0) == Found([], search_cache.MAX_ENTRIES + extra - 1)
    assert len(cache._entries) == search_cache.MAX_ENTRIES
