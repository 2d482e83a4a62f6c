"""Board pages (and the figures behind them) kept in the process for a short time, so most requests cost no query.

Keys are bounded by what the views accept (two languages, named periods from
2000 to 2100, a few modes and TV pages), and a cache holds at most
``MAX_ENTRIES``, dropping the oldest first. One lock around building means a
burst of requests for an expired entry builds it once; the others wait and
take the result.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

MAX_ENTRIES = 512


@dataclass(frozen=True)
class Page:
    """A rendered page and its strong ETag (a hash of the bytes: equal pages, equal tags)."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, html: str) -> Page:
        body = html.encode("utf-8")
        return cls(body, hashlib.sha256(body).hexdigest()[:32])


@dataclass(frozen=True)
class Cached:
    value: Any
    expires: float


class PageCache:
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic):
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: OrderedDict[Hashable, Cached] = OrderedDict()
        self._build_lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value for ``key``: kept, or built by ``build()`` and kept for ``ttl_s`` seconds."""
        found = self._fresh(key)
        if found is not None:
            return found.value
        with self._build_lock:
            found = self._fresh(key)
            if found is not None:
                return found.value
            entry = Cached(build(), self.clock() + self.ttl_s)
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
            return entry.value

    def clear(self) -> None:
        """Forget every entry: the next request builds afresh."""
        with self._build_lock:
            self._entries.clear()

    def _fresh(self, key: Hashable) -> Cached | None:
        entry = self._entries.get(key)
        if entry is None or entry.expires <= self.clock():
            return None
        return entry
