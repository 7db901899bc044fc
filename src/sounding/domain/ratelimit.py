"""Counting failures per key in a sliding window: the login rate limit.

In memory, per process: a limit that restarts with the server is still a limit, and the
keys (user names and client addresses) are not worth a write per attempt.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class FailureLimiter:
    """At most ``limit`` failures per key in any ``window`` seconds; a key over it is
    refused until its oldest failure leaves the window."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float] | None:
        found = self._failures.get(key)
        if found is None:
            return None
        while found and found[0] <= now - self.window:
            found.popleft()
        if not found:
            del self._failures[key]
            return None
        return found

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        with self._lock:
            now = self._clock()
            found = self._live(key, now)
            if found is None or len(found) < self.limit:
                return 0.0
            return max(found[-self.limit] + self.window - now, 0.0)

    def fail(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            found = self._live(key, now)
            if found is None:
                if len(self._failures) >= self._max_keys:  # bounded memory under a flood
                    self._failures.pop(next(iter(self._failures)))
                found = self._failures[key] = deque(maxlen=self.limit * 2)
            found.append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
