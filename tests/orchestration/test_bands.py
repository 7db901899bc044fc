"""The forecast band and its measured coverage, on hand-made histories."""

from __future__ import annotations

import pytest

from sounding.features.insights import bands
from sounding.features.insights.stats import Sample


def samples(*seconds: float, tasks: int = 10) -> list[Sample]:
    return [Sample(f"e{i}", tasks, s) for i, s in enumerate(seconds)]


def test_a_regular_history_gets_a_narrow_band_that_holds_its_runs() -> None:
    fitted = bands.fit_band(samples(1.0, 1.02, 0.98, 1.01, 0.99, 1.0))
    assert fitted.width is not None and fitted.width < 0.05
    assert fitted.coverage is not None and fitted.coverage >= 0.5
    for run in fitted.runs:
        assert run.predicted == pytest.approx(1.0, abs=0.03)
        assert run.low is not None and run.high is not None and run.low < run.high


def test_an_outlier_falls_outside_its_band_and_lowers_the_coverage() -> None:
    fitted = bands.fit_band(samples(1.0, 1.02, 0.98, 1.01, 0.99, 5.0))
    outlier = fitted.runs[-1]
    assert outlier.inside is False and outlier.high is not None and outlier.high < 5.0
    assert fitted.coverage is not None and fitted.coverage < 1.0


def test_too_few_runs_give_no_band() -> None:
    fitted = bands.fit_band(samples(1.0, 2.0))
    assert fitted.width is None and fitted.coverage is None
    assert all(r.inside is None for r in fitted.runs)
    assert bands.fit_band([]).runs == []
    assert bands.band(2.0, 1.5) == (0.0, 5.0)  # never below zero
