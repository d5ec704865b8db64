"""A small bounded map that many threads can read and fill at once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["CACHE_SIZE", "CLASS_CACHE_SIZE", "BoundedCache"]

#: Entries each of a rule set's combining caches keeps (the Decisions by the
#: rules that fired and the asked fields unknown, the blocked techniques and
#: referrals by their reasons). Real traffic makes few distinct ones.
CACHE_SIZE = 8192
#: Classes of profile whose Decision the pipeline remembers, per rule set and
#: backend. An entry is a small key and a reference to a Decision shared with
#: many classes, so it can be larger: a population sample of 200,000
#: realistic profiles holds some 18,000 classes of the built-in pack.
CLASS_CACHE_SIZE = 65_536

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``maxsize`` entries; when full, the oldest entry makes room.

    Reads take no lock (one dict lookup is atomic); writes take one, so the
    size never passes ``maxsize``. Values must never be ``None`` (``get``
    answers ``None`` for a miss). An OrderedDict, because dropping the oldest
    key of a plain dict (``next(iter(d))``) slows down as deleted slots pile up
    at its front: ~7 us per eviction at 8192 entries, against ~0.5 us.
    """

    __slots__ = ("_data", "_lock", "maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value stored for ``key``, or None."""
        return self._data.get(key)

    def put(self, key: K, value: V) -> V:
        """Store ``value`` unless ``key`` is already there; return the stored value."""
        with self._lock:
            stored = self._data.get(key)
            if stored is not None:
                return stored
            if len(self._data) >= self.maxsize:
                self._data.popitem(last=False)
            self._data[key] = value
            return value

    def __len__(self) -> int:
        return len(self._data)
