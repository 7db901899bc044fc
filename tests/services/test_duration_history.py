"""The duration history the insights pages draw, over real runs: each run beside the
forecast the others make for it, the band, its measured coverage and the anomalies."""

from __future__ import annotations

from typing import Any

import pytest

from sounding.errors import NotFoundError
from sounding.features.insights import history as duration_history
from sounding.features.insights import service as insights
from sounding.services import workflows
from tests.services.test_insights import VIEWER, fan, run_once, warm_up


def test_history_of_a_workflow_and_of_a_step(any_ctx: Any, operator: Any) -> None:
    ctx = any_ctx
    warm_up(ctx, operator)
    # tasks of 50 ms, so that a busy machine's overhead per task (a few ms) stays small
    # beside them, and one run 10x slower per task: the only anomaly even under load
    ids = [
        run_once(ctx, operator, fan("fan", n, seconds=0.05), "fan").id for n in (2, 4, 3, 5, 2, 4)
    ]
    slow = run_once(ctx, operator, fan("fan", 3, seconds=0.5), "fan").id

    whole = duration_history.duration_history(ctx, VIEWER, "fan")
    assert [p.execution_id for p in whole.points] == [*ids, slow]  # oldest first
    assert whole.steps == ["setup", "work"] and whole.step is None
    api_view = insights.forecasts(ctx, VIEWER, "fan").items[0].execution
    assert whole.forecast == api_view  # the same forecast and error the API reports
    assert whole.band_low is not None and whole.band_high is not None
    assert whole.band_low <= whole.forecast.seconds <= whole.band_high
    assert whole.coverage is not None and 0 <= whole.coverage <= 1
    inside = sum(bool(p.inside) for p in whole.points) / len(whole.points)
    assert inside == pytest.approx(whole.coverage, abs=1e-4)

    work = duration_history.duration_history(ctx, VIEWER, "fan", "work")
    assert [p.tasks for p in work.points] == [2, 4, 3, 5, 2, 4, 3]
    assert work.points[-1].inside is False  # 10x slower than its forecast
    # the slow run is flagged, and it stands out most; a fast run is flagged too only when
    # a loaded machine really made it slow (CI has seen one at 2.5x its sleep)
    assert work.anomalies and work.anomalies[0].execution_id == slow
    assert work.anomalies[0].score == max(a.score for a in work.anomalies)
    sleeps = {p.execution_id: p.tasks * 0.05 for p in work.points}
    for a in work.anomalies[1:]:
        assert a.execution_id in ids and a.value > 1.5 * sleeps[a.execution_id]
    assert all(a.step_id == "work" for a in work.anomalies)
    assert all(a.step_id is None for a in whole.anomalies)

    with pytest.raises(NotFoundError):
        duration_history.duration_history(ctx, VIEWER, "nope")
    with pytest.raises(NotFoundError):
        duration_history.duration_history(ctx, VIEWER, "fan", "nope")


def test_a_workflow_that_never_ran_has_an_empty_history(ctx: Any, operator: Any) -> None:
    workflows.apply_workflow(ctx, operator, fan("idle", 2))
    empty = duration_history.duration_history(ctx, VIEWER, "idle")
    assert empty.points == [] and empty.forecast is None and empty.coverage is None
