"""Rate limits of the public pages, per client address, kept in the process.

A token bucket per address: ``count`` requests at once, then one more every
``window_s / count`` seconds. Each process counts on its own, so behind
several processes an address gets a little more; nginx's ``limit_req``
(deploy/nginx/hailong.conf) is the limit that holds for the whole site.
The address is the client's as ProxyFix gives it (``ADMIN_PROXY_HOPS``).
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# Beyond this many addresses, those whose bucket has refilled are forgotten.
MAX_ADDRESSES = 50_000


class RateLimit:
    def __init__(self, count: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.count = count
        self.rate = count / window_s
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> int:
        """Count one request from ``address``: 0 when it may go on, else the whole seconds to wait."""
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.get(address, (self.count, now))
            tokens = min(self.count, tokens + (now - since) * self.rate)
            if tokens < 1:
                self._buckets[address] = (tokens, now)
                return max(1, math.ceil((1 - tokens) / self.rate))
            self._buckets[address] = (tokens - 1, now)
            if len(self._buckets) > MAX_ADDRESSES:
                self._forget_refilled(now)
            return 0

    def _forget_refilled(self, now: float) -> None:
        full_after = self.count / self.rate
        self._buckets = {a: b for a, b in self._buckets.items() if now - b[1] < full_after}
