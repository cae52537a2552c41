"""A memo bounded in entries AND in bytes, shared by every thread (every Streamlit session) of a process.

`functools.lru_cache` and `st.cache_data(max_entries=...)` bound the number of entries only, and one
entry may weigh 25 MiB (the traced structure of cifar-resnet-1202) or 20 KiB (ResNet-34's): a server
visited with many deep variants grew to ~2 GB. Here each entry has a weight (its estimated bytes, from
a function given per cache) and the least recently used entries go when either bound is passed, so a
cache's ceiling is stated where it is declared. A value heavier than the whole budget is returned but
not kept.

Callers that compute the same key at the same time (20 sessions opening one link) wait for one
computation instead of each doing it. Values are shared, not copied: treat them as read-only.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable

CACHES: list[Bounded] = []  # every bounded cache of the process (for tests and benchmarks)


class Bounded:
    def __init__(self, fn: Callable, max_entries: int, max_bytes: int, weigh: Callable[[object], int]):
        self.fn, self.max_entries, self.max_bytes, self.weigh = fn, max_entries, max_bytes, weigh
        self.name = f"{fn.__module__}.{fn.__qualname__}"
        self._entries: OrderedDict = OrderedDict()  # key -> (value, weight)
        self._bytes = 0
        self._lock = threading.Lock()
        self._pending: dict = {}  # key -> lock held while one caller computes it
        self.hits = self.misses = 0
        functools.update_wrapper(self, fn)
        CACHES.append(self)

    def __call__(self, *args, **kwargs):
        key = (args, tuple(sorted(kwargs.items())))
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return self._entries[key][0]
                pending = self._pending.get(key)
                if pending is None:
                    pending = self._pending[key] = threading.Lock()
                    pending.acquire()
                    break
            with pending:  # another caller is computing this key: wait for it, then look again
                pass
        try:
            value = self.fn(*args, **kwargs)  # an exception is not cached: the next caller tries again
            self._keep(key, value)
            return value
        finally:
            with self._lock:
                del self._pending[key]
            pending.release()

    def _keep(self, key, value) -> None:
        weight = max(int(self.weigh(value)), 1)
        with self._lock:
            self.misses += 1
            if weight > self.max_bytes:
                return
            self._entries[key] = (value, weight)
            self._bytes += weight
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def cache_clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def info(self) -> dict:
        with self._lock:
            return {
                "name": self.name,
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_entries": self.max_entries,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }


def bounded(max_entries: int, max_bytes: int, weigh: Callable[[object], int]):
    """Decorator: memoise `fn` by its (hashable) arguments within both bounds."""

    def wrap(fn):
        return Bounded(fn, max_entries, max_bytes, weigh)

    return wrap


def ceiling() -> int:
    """The most bytes all bounded caches of the process may hold together (their stated budgets)."""
    return sum(c.max_bytes for c in CACHES)


MiB = 2**20
