"""AIMD concurrency control per source, for the ``adaptive`` strategy.

Additive increase: every success that is not slow adds ``increase / limit``, i.e. one more slot
per window of ``limit`` successes. Multiplicative decrease: an error, or an EWMA latency above
``latency_factor`` times the best EWMA seen (the source is saturating), multiplies the limit by
``decrease``, at most once per window so one burst of failures halves it once, not ten times.
"""

from __future__ import annotations

import logging

from sounding.orchestration.spec import AdaptiveConfig

logger = logging.getLogger(__name__)

ALPHA = 0.3  # EWMA weight of the newest latency sample


class AimdController:
    def __init__(self, config: AdaptiveConfig, maximum: int | None = None) -> None:
        self.minimum = config.minimum
        self.maximum = min(config.maximum, maximum) if maximum else config.maximum
        self.maximum = max(self.maximum, self.minimum)
        self.limit = float(min(max(config.initial, self.minimum), self.maximum))
        self._increase = config.increase
        self._decrease = config.decrease
        self._latency_factor = config.latency_factor
        self._ewma: float | None = None
        self._baseline: float | None = None
        self._since_decrease = self.maximum  # the first error may decrease at once
        self.samples = 0

    @property
    def capacity(self) -> int:
        return int(self.limit)

    def record(self, latency: float, ok: bool) -> bool:
        """Feed one finished task; True if ``capacity`` changed."""
        before = self.capacity
        self.samples += 1
        self._since_decrease += 1
        congested = False
        if ok:
            self._ewma = (
                latency if self._ewma is None else ALPHA * latency + (1 - ALPHA) * self._ewma
            )
            if self.samples >= 3:
                self._baseline = min(self._baseline or self._ewma, self._ewma)
                congested = self._ewma > self._latency_factor * self._baseline
        if not ok or congested:
            if self._since_decrease >= max(1, before):
                self.limit = max(float(self.minimum), self.limit * self._decrease)
                self._since_decrease = 0
        else:
            self.limit = min(float(self.maximum), self.limit + self._increase / self.limit)
        return self.capacity != before
