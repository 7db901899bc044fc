"""Use cases for orchestration insights: analytics, forecasts and ETAs, anomalies, and
recommendations (applied and rolled back through the workflow service, with an audit trail).

The statistics are pure functions in ``sounding.features.insights.stats`` and ``.advice``; this
module reads the history from the store and the live state from the engine of this process.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sounding.domain.auth import Permission, Principal
from sounding.domain.insights import (
    AnomalyReport,
    DaySummary,
    ForecastFigures,
    Forecasts,
    OrchestrationAnalytics,
    RecommendationAction,
    RecommendationItem,
    Recommendations,
    RecommendedChange,
    RunningEta,
    RunningStepEta,
    StepForecast,
    WorkflowForecast,
    WorkflowSummary,
)
from sounding.domain.orchestration import ExecutionRecord, RunStatus, StepRecord, Strategy
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.features.insights import advice, repo, stats
from sounding.orchestration.load import EngineLoad
from sounding.orchestration.parsing import parse_workflow
from sounding.services import workflows
from sounding.services.context import Context
from sounding.store.repos import audit
from sounding.store.repos import scans as scan_repo
from sounding.store.repos import sources as source_repo
from sounding.store.repos import workflows as workflow_repo

logger = logging.getLogger(__name__)

ENDED = list(stats.ENDED)
DEFAULT_K = stats.K_MAD  # anomaly threshold in MADs
RECENT_RUNS = 20  # ended executions per workflow the recommendation rules look at
HISTORY_LIMIT = 5000  # executions read for analytics and anomalies
ATTEMPTS_LIMIT = 1000  # newest executions whose task attempts analytics reads


def _check_days(days: int) -> None:
    if not 1 <= days <= 366:
        raise InvalidInputError("days must be between 1 and 366", field="days")


def _history(
    ctx: Context, since: datetime | None, workflow: str | None = None
) -> tuple[list[ExecutionRecord], list[StepRecord]]:
    with ctx.db.read() as conn:
        execs = repo.executions_since(conn, since, workflow=workflow, limit=HISTORY_LIMIT)
        steps = repo.steps_of(conn, [e.id for e in execs])
    return execs, steps


# --- analytics ----------------------------------------------------------------------------


def orchestration_analytics(
    ctx: Context, actor: Principal, days: int = 7
) -> OrchestrationAnalytics:
    """Success rate, p50/p95 durations, throughput, per-source load and a daily trend over the
    last ``days`` UTC days (today included)."""
    actor.require(Permission.CATALOG_READ)
    _check_days(days)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=days - 1)
    execs, steps = _history(ctx, since)
    with ctx.db.read() as conn:
        attempts = repo.attempts_of(conn, [e.id for e in execs[:ATTEMPTS_LIMIT]])
    by_workflow: dict[str, list[ExecutionRecord]] = defaultdict(list)
    for e in execs:
        by_workflow[e.workflow].append(e)
    return OrchestrationAnalytics(
        days=days,
        since=since,
        overall=stats.summarize(execs, steps),
        workflows=[
            WorkflowSummary(workflow=name, **asdict(stats.summarize(items, steps)))
            for name, items in sorted(by_workflow.items())
        ],
        sources=list(stats.source_loads(attempts).values()),
        sources_from_executions=min(len(execs), ATTEMPTS_LIMIT),
        trend=[
            DaySummary(day=day.date().isoformat(), **asdict(summary))
            for day, summary in stats.daily_trend(execs, steps, start=since, days=days)
        ],
    )


# --- forecasts and ETAs -------------------------------------------------------------------


def forecast_figures(f: stats.Forecast | None) -> ForecastFigures | None:
    """A forecast as it is handed out: its model's figures and its measured error, rounded."""
    if f is None:
        return None
    return ForecastFigures(
        seconds=round(f.seconds, 3),
        tasks=f.tasks,
        model=f.model.kind,
        intercept_seconds=round(f.model.intercept, 4),
        seconds_per_task=round(f.model.slope, 6),
        runs=f.n,
        loo_mape=round(f.mape, 4) if f.mape is not None else None,
        baseline_loo_mape=round(f.baseline_mape, 4) if f.baseline_mape is not None else None,
    )


def forecasts(
    ctx: Context, actor: Principal, workflow: str | None = None, tasks: int | None = None
) -> Forecasts:
    """Duration forecasts per workflow and step from completed runs (at ``tasks`` objects, or
    at the latest run's count), with their leave-one-out error; ETAs of running executions."""
    actor.require(Permission.CATALOG_READ)
    if tasks is not None and tasks < 0:
        raise InvalidInputError("tasks must be >= 0", field="tasks")
    execs, steps = _history(ctx, None, workflow)
    with ctx.db.read() as conn:
        names = {r["name"] for r in workflow_repo.list_workflows(conn)}
    if workflow is not None and workflow not in names and not execs:
        raise NotFoundError(f"Workflow '{workflow}' not found and never ran", workflow=workflow)
    workflow_of = {e.id: e.workflow for e in execs}
    per_step = stats.step_samples(steps, workflow_of)
    per_execution = stats.execution_samples(execs, steps)
    wanted = {workflow} if workflow else names | set(workflow_of.values())
    items = []
    for name in sorted(wanted):
        step_items = [
            StepForecast(step_id, forecast_figures(stats.forecast(samples, tasks)))
            for (wf, step_id), samples in sorted(per_step.items())
            if wf == name
        ]
        items.append(
            WorkflowForecast(
                workflow=name,
                execution=forecast_figures(stats.forecast(per_execution.get(name, []), tasks)),
                steps=step_items,
            )
        )
    return Forecasts(items=items, running=_etas(ctx, per_step, workflow))


def _etas(
    ctx: Context,
    per_step: Mapping[tuple[str, str], list[stats.Sample]],
    workflow: str | None,
) -> list[RunningEta]:
    host = ctx.running_engine
    if host is None:  # no engine in this process: nothing runs here to estimate
        return []

    async def snapshot() -> EngineLoad:
        return host.engine.load()

    live = [
        e
        for e in host.call(snapshot()).executions
        if (workflow is None or e.workflow == workflow) and not RunStatus(e.status).finished
    ]
    if not live:
        return []
    with ctx.db.read() as conn:
        specs = repo.execution_specs(conn, [e.id for e in live])
        stored = {(s.execution_id, s.step_id): s for s in repo.steps_of(conn, list(specs))}
    now = datetime.now(UTC)
    out = []
    for e in live:
        deps = {
            str(s.get("id")): _as_list(s.get("depends_on"))
            for s in specs.get(e.id, {}).get("steps", [])
        }
        remaining: dict[str, float | None] = {}
        steps: list[RunningStepEta] = []
        for s in e.steps:
            record = stored.get((e.id, s.id))
            started = record.started_at if record is not None else None
            elapsed = (now - started).total_seconds() if started else 0.0
            f = stats.forecast(
                per_step.get((e.workflow, s.id), []), s.total if s.total_known else None
            )
            left = stats.step_remaining(
                RunStatus(s.status),
                elapsed=elapsed,
                done=s.done,
                total=s.total,
                total_known=s.total_known,
                forecast_seconds=f.seconds if f else None,
            )
            remaining[s.id] = left
            steps.append(
                RunningStepEta(
                    step=s.id,
                    status=s.status,
                    done=s.done,
                    total=s.total,
                    remaining_seconds=_round(left),
                )
            )
        eta = stats.execution_eta(deps, remaining, sequential=e.strategy == Strategy.SEQUENTIAL)
        out.append(
            RunningEta(
                execution_id=e.id,
                workflow=e.workflow,
                status=e.status,
                eta_seconds=_round(eta),
                expected_end=now + timedelta(seconds=eta) if eta is not None else None,
                steps=steps,
            )
        )
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


# --- anomalies ----------------------------------------------------------------------------


def anomalies(
    ctx: Context,
    actor: Principal,
    days: int = 30,
    workflow: str | None = None,
    k: float = DEFAULT_K,
) -> AnomalyReport:
    """Durations and failure rates far from their history (|x - median| > k MAD)."""
    actor.require(Permission.CATALOG_READ)
    _check_days(days)
    if k <= 0:
        raise InvalidInputError("k must be positive", field="k")
    execs, steps = _history(ctx, datetime.now(UTC) - timedelta(days=days), workflow)
    found = stats.find_anomalies(execs, steps, k=k)
    return AnomalyReport(
        days=days, k=k, rule="|x - median| > k * max(MAD, floor)", items=found, total=len(found)
    )


# --- recommendations ----------------------------------------------------------------------


def _recommendations(ctx: Context, workflow: str | None) -> list[advice.Recommendation]:
    names = ctx.step_types.names()
    with ctx.db.read() as conn:
        rows = workflow_repo.list_workflows(conn)
    out: list[advice.Recommendation] = []
    for row in rows:
        if workflow is not None and row["name"] != workflow:
            continue
        spec = parse_workflow(row["spec"], step_types=names)
        with ctx.db.read() as conn:
            execs = repo.executions_since(
                conn, None, workflow=spec.name, statuses=ENDED, limit=RECENT_RUNS
            )
            ids = [e.id for e in execs]
            steps, attempts = repo.steps_of(conn, ids), repo.attempts_of(conn, ids)
            documents = repo.execution_specs(conn, ids)
            scans = _scans(
                conn, [s.source for s in spec.steps if s.type == "classify" and s.source]
            )
        history = advice.History(spec, execs, steps, attempts, scans, documents)
        out += advice.recommend(history)
    return out


def _scans(conn: Any, sources: Sequence[str | None]) -> dict[str, list[advice.ScanFigures]]:
    out = {}
    for name in {s for s in sources if s}:
        row = source_repo.get_by_name(conn, name)
        if row is None:
            continue
        runs, _ = scan_repo.list_runs(conn, 10, 0, row["id"])
        out[name] = [
            advice.ScanFigures(
                r["id"],
                int((r["report"] or {}).get("objects_total") or 0),
                int((r["report"] or {}).get("objects_skipped_unchanged") or 0),
            )
            for r in runs
            if r["status"] in ("completed", "completed_with_failures")
        ]
    return out


def _public_recommendation(r: advice.Recommendation) -> RecommendationItem:
    change = r.change
    return RecommendationItem(
        id=r.id,
        kind=r.kind,
        workflow=r.workflow,
        title=r.title,
        rationale=r.rationale,
        evidence=r.evidence,
        change=RecommendedChange(change.field, change.value, change.step) if change else None,
        applicable=change is not None,
    )


def recommendations(ctx: Context, actor: Principal, workflow: str | None = None) -> Recommendations:
    """Current recommendations with their evidence, and the ones applied so far."""
    actor.require(Permission.CATALOG_READ)
    found = _recommendations(ctx, workflow)
    with ctx.db.read() as conn:
        applied = repo.list_actions(conn, workflow=workflow)
    return Recommendations(
        items=[_public_recommendation(r) for r in found], total=len(found), applied=applied
    )


def apply_recommendation(ctx: Context, actor: Principal, rec_id: str) -> RecommendationAction:
    """Make the recommendation's change to its workflow (a new version), recording the value
    it replaced so that a rollback restores it."""
    actor.require(Permission.SCAN_RUN)
    rec = next((r for r in _recommendations(ctx, None) if r.id == rec_id), None)
    if rec is None:
        raise NotFoundError(
            f"No current recommendation '{rec_id}'; see GET /api/v1/insights/recommendations",
            recommendation=rec_id,
        )
    if rec.change is None:
        raise ConflictError(
            f"Recommendation '{rec_id}' ({rec.kind}) is advice only: there is nothing to apply",
            recommendation=rec_id,
        )
    document = workflows.get_workflow(ctx, actor, rec.workflow).spec
    previous = advice.read_field(document, rec.change)
    stored = workflows.apply_workflow(
        ctx, actor, advice.write_field(document, rec.change, rec.change.value)
    )
    change = {"field": rec.change.field, "step": rec.change.step, "value": rec.change.value}
    before = {
        "present": previous is not advice.MISSING,
        "value": None if previous is advice.MISSING else previous,
    }
    with ctx.db.write() as conn:
        action = repo.insert_action(
            conn,
            {
                "recommendation_id": rec.id,
                "kind": rec.kind,
                "workflow": rec.workflow,
                "title": rec.title,
                "change": change,
                "previous": before,
                "evidence": rec.evidence,
                "applied_by": actor.name,
                "applied_version": stored.version,
            },
        )
        audit.record(
            conn,
            actor.name,
            "insight.apply",
            "workflow",
            rec.workflow,
            {"recommendation": rec.id, "kind": rec.kind, "change": change, "previous": before},
        )
    return action


def rollback_recommendation(ctx: Context, actor: Principal, rec_id: str) -> RecommendationAction:
    """Restore the value an applied recommendation replaced. Refused (409) when the field was
    changed again since, so a rollback never overwrites someone else's edit."""
    actor.require(Permission.SCAN_RUN)
    with ctx.db.read() as conn:
        action = repo.latest_applied(conn, rec_id)
    if action is None:
        raise NotFoundError(f"Recommendation '{rec_id}' is not applied", recommendation=rec_id)
    raw = action.change
    change = advice.Change(raw["field"], raw["value"], raw.get("step"))
    document = workflows.get_workflow(ctx, actor, action.workflow).spec
    current = advice.read_field(document, change)
    if current is advice.MISSING or current != change.value:
        raise ConflictError(
            f"Workflow '{action.workflow}' changed since the recommendation was applied "
            f"({change.field} is {None if current is advice.MISSING else current!r}, not "
            f"{change.value!r}); not rolled back",
            recommendation=rec_id,
        )
    prev = action.previous
    restored = advice.write_field(
        document, change, prev["value"] if prev.get("present") else advice.MISSING
    )
    stored = workflows.apply_workflow(ctx, actor, restored)
    with ctx.db.write() as conn:
        done = repo.mark_rolled_back(conn, action.id, actor.name, stored.version)
        if done is None:
            raise ConflictError(f"Recommendation '{rec_id}' was rolled back already")
        audit.record(
            conn,
            actor.name,
            "insight.rollback",
            "workflow",
            action.workflow,
            {"recommendation": rec_id, "restored": prev},
        )
    return done
