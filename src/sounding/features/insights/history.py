"""The duration history of a workflow, or of one of its steps: each completed run beside the
forecast the other runs made for it, the forecast for the next run with its band, and the
error measured on that history (leave-one-out MAPE, band coverage). What the insights pages
draw; the figures come from ``features.insights.stats`` and ``features.insights.bands``.
"""

from __future__ import annotations

import logging

from sounding.domain.auth import Permission, Principal
from sounding.domain.insights import DurationHistory, DurationPoint
from sounding.errors import NotFoundError
from sounding.features.insights import bands, repo, stats
from sounding.features.insights.service import HISTORY_LIMIT, forecast_figures
from sounding.services.context import Context
from sounding.store.repos import workflows as workflow_repo

logger = logging.getLogger(__name__)


def _round(value: float | None, digits: int = 4) -> float | None:
    return round(value, digits) if value is not None else None


def duration_history(
    ctx: Context, actor: Principal, workflow: str, step: str | None = None
) -> DurationHistory:
    """Completed runs of ``workflow`` (of its step ``step``), oldest first, at most the
    newest ``stats.MAX_SAMPLES``: what the forecast is fitted on. 404 for a workflow that
    neither exists nor ran, and for a step it never ran."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        execs = repo.executions_since(conn, None, workflow=workflow, limit=HISTORY_LIMIT)
        steps = repo.steps_of(conn, [e.id for e in execs])
        exists = workflow_repo.get(conn, workflow) is not None
    if not exists and not execs:
        raise NotFoundError(f"Workflow '{workflow}' not found and never ran", workflow=workflow)
    step_ids = sorted({s.step_id for s in steps})
    if step is not None and step not in step_ids:
        raise NotFoundError(
            f"Step '{step}' of workflow '{workflow}' never ran", workflow=workflow, step=step
        )
    if step is None:
        samples = stats.execution_samples(execs, steps).get(workflow, [])
    else:
        samples = stats.step_samples(steps, {e.id: e.workflow for e in execs}).get(
            (workflow, step), []
        )
    samples = stats.newest(samples)
    fitted = bands.fit_band(samples)
    forecast = stats.forecast(samples)
    low = high = None
    if forecast is not None and fitted.width is not None:
        low, high = bands.band(forecast.seconds, fitted.width)
    anomalies = [
        a
        for a in stats.find_anomalies(execs, steps)
        if a.workflow == workflow
        and (a.step_id == step if step is not None else a.kind != "step_duration")
    ]
    return DurationHistory(
        workflow=workflow,
        step=step,
        points=[
            DurationPoint(
                execution_id=r.sample.key,
                at=r.sample.at,
                tasks=r.sample.tasks,
                seconds=round(r.sample.seconds, 4),
                forecast=_round(r.predicted),
                low=_round(r.low),
                high=_round(r.high),
                inside=r.inside,
            )
            for r in fitted.runs
        ],
        forecast=forecast_figures(forecast),
        band_low=_round(low),
        band_high=_round(high),
        band_level=bands.LEVEL,
        coverage=_round(fitted.coverage),
        anomalies=anomalies,
        steps=step_ids,
    )
