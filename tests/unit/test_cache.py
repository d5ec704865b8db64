"""BoundedCache: bounded, oldest out first, first value wins, safe from many threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from neurotriage._cache import BoundedCache


def test_never_holds_more_than_maxsize_and_drops_the_oldest():
    """Past ``maxsize`` each new entry pushes out the oldest one."""
    cache: BoundedCache[int, str] = BoundedCache(3)
    for key in range(5):
        cache.put(key, str(key))
    assert len(cache) == 3
    assert [cache.get(key) for key in range(5)] == [None, None, "2", "3", "4"]


def test_the_first_value_stored_wins():
    """put() keeps an existing entry and returns it, so every thread sees one value."""
    cache: BoundedCache[str, list[int]] = BoundedCache(2)
    first = cache.put("k", [1])
    assert cache.put("k", [2]) is first
    assert cache.get("k") is first


@pytest.mark.parametrize("size", [0, -1])
def test_maxsize_must_be_positive(size):
    """A cache that can hold nothing is a mistake, not a no-op."""
    with pytest.raises(ValueError, match="maxsize must be at least 1"):
        BoundedCache(size)


def test_many_threads_filling_a_small_cache_keep_it_bounded_and_consistent():
    """Concurrent puts and gets never overfill the cache nor return a wrong value."""
    cache: BoundedCache[int, int] = BoundedCache(16)

    def work(offset: int) -> bool:
        ok = True
        for i in range(5_000):
            key = (i * 7 + offset) % 64
            stored = cache.put(key, key * 10)
            got = cache.get(key)
            ok &= stored == key * 10 and got in (None, key * 10)
            ok &= len(cache) <= 16
        return ok

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(8)))
    assert len(cache) <= 16
