"""Leave-one-out predictions computed with numpy give exactly the figures of refitting the
model on the other runs one run at a time (what ``fit`` defines)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sounding.features.insights import stats


def refit_each(samples: list[stats.Sample]) -> list[float | None]:
    out: list[float | None] = []
    for i, s in enumerate(samples):
        model = stats.fit([o for j, o in enumerate(samples) if j != i])
        out.append(model.predict(s.tasks) if model is not None else None)
    return out


@pytest.mark.parametrize("shape", ["linear", "one_count", "no_counts", "mixed"])
def test_loo_predictions_equal_refitting_each_run(shape: str) -> None:
    rng = random.Random(shape)
    for n in [*range(0, 40, 3), 120]:
        counts = {
            "linear": lambda: rng.randint(1, 30),
            "one_count": lambda: 5,
            "no_counts": lambda: 0,
            "mixed": lambda: rng.choice([0, 2, 9]),
        }[shape]
        samples = [
            stats.Sample(str(i), counts(), round(rng.uniform(0, 4), rng.choice([1, 4])))
            for i in range(n)
        ]
        assert stats.loo_predictions(samples) == refit_each(samples)


def test_series_are_judged_over_their_newest_runs() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    samples = [
        stats.Sample(str(i), 1, 1.0, start + timedelta(minutes=i))
        for i in range(stats.MAX_SAMPLES + 50)
    ]
    kept = stats.newest(reversed(samples))
    assert len(kept) == stats.MAX_SAMPLES and kept[0].key == "50" and kept[-1].key == "249"
