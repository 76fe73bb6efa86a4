"""A small sliding-window limiter for anonymous self-registration.

It lives in the process: with several instances each one counts on its own, so the effective limit is
the configured one times the number of instances (documented in the README; fine against a runaway
script, not meant as a security boundary).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, key: str) -> float:
        """0 when `key` may go ahead now (the hit is counted), else seconds until it may."""
        now = self.clock()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return float(hits[0] + self.window_s - now)
        hits.append(now)
        if len(self._hits) > 10_000:  # forget quiet clients so the table stays small
            for quiet in [k for k, v in self._hits.items() if not v]:
                del self._hits[quiet]
        return 0.0
