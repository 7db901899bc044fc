"""The band around a duration forecast, and how often past runs fell inside it. Pure: no I/O.

A forecast ``p`` (from ``insights.fit``) gets the band ``[p * (1 - q), p * (1 + q)]`` where
``q`` is the ``LEVEL`` quantile (80 %) of the relative errors ``|y - p'| / p'`` of the
leave-one-out predictions ``p'`` of the past runs: a band meant to hold 80 % of runs.

Its **coverage** is measured, not assumed: each past run gets the band built from the errors
of all the *other* runs around its own leave-one-out prediction, and the coverage is the
share of runs inside theirs. Near 0.8: the band is honest; well below: runs vary more than
the history so far suggested.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sounding.features.insights.stats import Sample, loo_predictions, percentile

logger = logging.getLogger(__name__)

LEVEL = 0.8  # the share of runs the band is meant to hold
MIN_ERRORS = 3  # relative errors needed before a band is drawn


@dataclass(frozen=True, slots=True)
class BandedRun:
    """A past run with its leave-one-out prediction and band (None when there is none)."""

    sample: Sample
    predicted: float | None
    low: float | None
    high: float | None
    inside: bool | None


@dataclass(frozen=True, slots=True)
class BandFit:
    runs: list[BandedRun]  # in the order of the samples given
    width: float | None  # q: the band is the forecast times 1 -/+ q; None: too few runs
    coverage: float | None  # share of runs inside their leave-one-out band


def band(forecast: float, width: float) -> tuple[float, float]:
    return max(0.0, forecast * (1 - width)), forecast * (1 + width)


def fit_band(samples: Sequence[Sample]) -> BandFit:
    """Leave-one-out predictions of ``samples``, their bands, the band width for a new run
    and the measured coverage (see the module docstring)."""
    predictions = loo_predictions(samples)
    errors: list[float | None] = [
        abs(s.seconds - p) / p if p is not None and p > 0 else None
        for s, p in zip(samples, predictions, strict=True)
    ]
    known = [e for e in errors if e is not None]
    width = percentile(known, LEVEL * 100) if len(known) >= MIN_ERRORS else None
    runs: list[BandedRun] = []
    inside_count = judged = 0
    for i, (s, p) in enumerate(zip(samples, predictions, strict=True)):
        others = [e for j, e in enumerate(errors) if j != i and e is not None]
        if p is None or p <= 0 or len(others) < MIN_ERRORS:
            runs.append(BandedRun(s, p, None, None, None))
            continue
        q = percentile(others, LEVEL * 100)
        assert q is not None
        low, high = band(p, q)
        inside = low <= s.seconds <= high
        inside_count += inside
        judged += 1
        runs.append(BandedRun(s, p, low, high, inside))
    coverage = inside_count / judged if judged else None
    return BandFit(runs, width, coverage)
