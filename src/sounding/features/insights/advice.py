"""Recommendations from execution history, each with its evidence and, where one change of
the workflow document would act on it, that change. Pure: no I/O.

Rules (thresholds are the constants below; docs/orchestration.md explains each):

* ``raise_source_concurrency``: the workflow's ``limits.per_source`` held tasks back (a source
  ran at its limit with more tasks waiting in at least half of the recent executions) while
  the source stayed healthy (at most 2 % failed attempts, and latency at the limit at most
  1.5x latency at half of it, or p90/p50 latency at most 2 when that cannot be measured).
  Change: double ``limits.per_source`` (within ``limits.max_concurrent``).
* ``lower_source_concurrency``: the source struggles under the workflow's load: at least 10 %
  of attempts failed while at least half succeeded (intermittent errors, not a broken step),
  or latency at the limit is at least 3x latency at half of it. Change: halve the limit (the
  observed peak when none is set), at least 1.
* ``step_always_fails``: a step failed in each of the last 3 or more executions that ran it.
  Advice only: the evidence names the errors; no automatic change would fix them.
* ``incremental_classification``: a ``classify`` step re-samples every object of its source
  each run while the source's recent discovery scans found at least 80 % of objects
  unchanged (median over at least 3 scans). Change: ``config.incremental: true`` on the step,
  so it classifies only objects whose schema or rule set changed since they were classified.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.orchestration import (
    ExecutionRecord,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
)
from sounding.errors import NotFoundError
from sounding.features.insights.stats import (
    concurrency_at_start,
    mean_concurrency,
    percentile,
    seconds_between,
)
from sounding.orchestration.spec import WorkflowSpec

logger = logging.getLogger(__name__)

MIN_RUNS = 3  # recent executions (or scans) a rule needs
MIN_ATTEMPTS = 10  # attempts on a source before its error rate means anything
RAISE_MAX_ERROR_RATE = 0.02
RAISE_MAX_INFLATION = 1.5
RAISE_MAX_SPREAD = 2.0  # p90 / p50 latency, when inflation cannot be measured
LOWER_MIN_ERROR_RATE = 0.10
LOWER_MIN_SUCCESS_RATE = 0.5
LOWER_MIN_INFLATION = 3.0
ALWAYS_FAILS_RUNS = 3
INCREMENTAL_MIN_UNCHANGED = 0.8
MIN_LATENCY_SAMPLES = 3
AT_LIMIT = 0.9  # an attempt ran "at the limit" when its mean concurrency was >= 90 % of it


@dataclass(frozen=True, slots=True)
class Change:
    """Set ``field`` (a dotted path) of the workflow document, or of step ``step`` in it."""

    field: str
    value: Any
    step: str | None = None


@dataclass(frozen=True, slots=True)
class ScanFigures:
    """One discovery scan of a source: how many objects it saw and how many were unchanged."""

    scan_id: int
    objects_total: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class History:
    """What the rules look at for one workflow; executions newest first."""

    spec: WorkflowSpec
    executions: Sequence[ExecutionRecord]
    steps: Sequence[StepRecord]
    attempts: Sequence[TaskAttemptRecord]
    scans: Mapping[str, Sequence[ScanFigures]] = field(default_factory=dict)
    # the workflow document each execution ran with: concurrency rules only count executions
    # that ran with the current limits and strategy (all of them when this is empty)
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: str
    kind: str
    workflow: str
    title: str
    rationale: str
    evidence: dict[str, Any]
    change: Change | None = None  # None: advice only, nothing to apply


def recommend(history: History) -> list[Recommendation]:
    out: list[Recommendation] = []
    for rule in RULES:
        out += rule(history)
    return out


def _rec(
    kind: str,
    workflow: str,
    title: str,
    rationale: str,
    evidence: dict[str, Any],
    change: Change | None = None,
    subject: str = "",
) -> Recommendation:
    key = json.dumps(
        [
            kind,
            workflow,
            subject,
            change.field if change else None,
            change.step if change else None,
            change.value if change else None,
        ],
        default=str,
    )
    rid = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Recommendation(rid, kind, workflow, title, rationale, evidence, change)


# --- source concurrency -------------------------------------------------------------------


@dataclass(slots=True)
class SourceFigures:
    executions: int
    saturated: int  # executions where the source ran at its limit with tasks waiting
    attempts: int
    failed: int
    peak: int
    p50: float | None
    p90: float | None
    p95: float | None
    # median latency of attempts that ran at the limit / of those that ran at half of it or
    # less (by the mean concurrency during each attempt)
    inflation: float | None

    @property
    def error_rate(self) -> float:
        return self.failed / self.attempts if self.attempts else 0.0

    def evidence(self, limit: int | None) -> dict[str, Any]:
        return {
            "per_source_limit": limit,
            "executions": self.executions,
            "executions_at_limit_with_tasks_waiting": self.saturated,
            "attempts": self.attempts,
            "failed_attempts": self.failed,
            "error_rate": round(self.error_rate, 4),
            "peak_concurrency": self.peak,
            "latency_p50_seconds": self.p50,
            "latency_p90_seconds": self.p90,
            "latency_p95_seconds": self.p95,
            "latency_inflation": round(self.inflation, 3) if self.inflation else None,
        }


def source_figures(
    attempts: Sequence[TaskAttemptRecord], limit: int | None
) -> SourceFigures | None:
    ended = [a for a in attempts if a.status in (RunStatus.COMPLETED, RunStatus.FAILED)]
    if not ended:
        return None
    by_execution: dict[str, list[TaskAttemptRecord]] = {}
    for a in ended:
        by_execution.setdefault(a.execution_id, []).append(a)
    low: list[float] = []
    high: list[float] = []
    latencies: list[float] = []
    saturated, peak = 0, 0
    exposure: list[tuple[TaskAttemptRecord, float]] = []
    for group in by_execution.values():
        top = max(concurrency_at_start(group))
        peak = max(peak, top)
        if limit is not None and top >= limit and len({a.task_key for a in group}) > limit:
            saturated += 1
        exposure += zip(group, mean_concurrency(group), strict=True)
    cap = limit if limit is not None else peak
    for a, load in exposure:
        secs = seconds_between(a.started_at, a.finished_at)
        if secs is None or a.status is not RunStatus.COMPLETED:
            continue
        latencies.append(secs)
        if load >= AT_LIMIT * cap:
            high.append(secs)
        elif load <= max(1.0, cap / 2):
            low.append(secs)
    inflation = None
    if len(low) >= MIN_LATENCY_SAMPLES and len(high) >= MIN_LATENCY_SAMPLES:
        base = statistics.median(low)
        inflation = statistics.median(high) / base if base > 0 else None
    return SourceFigures(
        executions=len(by_execution),
        saturated=saturated,
        attempts=len(ended),
        failed=sum(a.status is RunStatus.FAILED for a in ended),
        peak=peak,
        p50=percentile(latencies, 50),
        p90=percentile(latencies, 90),
        p95=percentile(latencies, 95),
        inflation=inflation,
    )


def concurrency_rules(h: History) -> list[Recommendation]:
    out = []
    limit, cap = h.spec.limits.per_source, h.spec.limits.max_concurrent
    same = _same_limits(h)
    by_source: dict[str, list[TaskAttemptRecord]] = {}
    for a in h.attempts:
        if a.source is not None and (same is None or a.execution_id in same):
            by_source.setdefault(a.source, []).append(a)
    for source, attempts in sorted(by_source.items()):
        f = source_figures(attempts, limit)
        if f is None or f.executions < MIN_RUNS:
            continue
        evidence = {"source": source, **f.evidence(limit)}
        if _should_lower(f):
            current = limit if limit is not None else f.peak
            if current > 1:
                new = max(1, current // 2)
                why = (
                    f"{f.error_rate:.0%} of {f.attempts} attempts on '{source}' failed"
                    if f.error_rate >= LOWER_MIN_ERROR_RATE
                    else f"latency on '{source}' at the limit is {f.inflation:.1f}x that at "
                    "half of it"
                )
                out.append(
                    _rec(
                        "lower_source_concurrency",
                        h.spec.name,
                        f"Lower per-source concurrency of '{h.spec.name}' from {current} to {new}",
                        f"{why}: the source looks overloaded by {current} tasks at once.",
                        evidence,
                        Change("limits.per_source", new),
                        subject=source,
                    )
                )
        elif limit is not None and _should_raise(f):
            new = 2 * limit if cap is None else min(2 * limit, cap)
            if new > limit:
                out.append(
                    _rec(
                        "raise_source_concurrency",
                        h.spec.name,
                        f"Raise per-source concurrency of '{h.spec.name}' from {limit} to {new}",
                        f"In {f.saturated} of {f.executions} executions tasks on '{source}' waited "
                        f"for the limit of {limit} while the source stayed healthy "
                        f"({f.error_rate:.0%} failed attempts, stable latency).",
                        evidence,
                        Change("limits.per_source", new),
                        subject=source,
                    )
                )
    return out


def _same_limits(h: History) -> set[str] | None:
    if not h.documents:
        return None
    doc = h.spec.document

    def shape(d: Mapping[str, Any]) -> tuple[Any, Any]:
        return (d.get("limits") or {}, d.get("strategy") or "graph_based")

    return {eid for eid, d in h.documents.items() if shape(d) == shape(doc)}


def _should_lower(f: SourceFigures) -> bool:
    if f.attempts < MIN_ATTEMPTS:
        return False
    flaky = f.error_rate >= LOWER_MIN_ERROR_RATE and 1 - f.error_rate >= LOWER_MIN_SUCCESS_RATE
    slow = f.inflation is not None and f.inflation >= LOWER_MIN_INFLATION
    return flaky or slow


def _should_raise(f: SourceFigures) -> bool:
    if 2 * f.saturated < f.executions or f.error_rate > RAISE_MAX_ERROR_RATE:
        return False
    if f.inflation is not None:
        return f.inflation <= RAISE_MAX_INFLATION
    return f.p50 is not None and f.p90 is not None and f.p90 <= RAISE_MAX_SPREAD * f.p50


# --- failing steps ------------------------------------------------------------------------


def failing_step_rule(h: History) -> list[Recommendation]:
    order = {e.id: i for i, e in enumerate(h.executions)}  # newest first
    runs: dict[str, list[StepRecord]] = {}
    for s in sorted(h.steps, key=lambda s: order.get(s.execution_id, len(order))):
        if s.execution_id in order and s.status in (RunStatus.COMPLETED, RunStatus.FAILED):
            runs.setdefault(s.step_id, []).append(s)
    out = []
    for step_id, records in runs.items():
        streak = []
        for r in records:
            if r.status is not RunStatus.FAILED:
                break
            streak.append(r)
        if len(streak) < ALWAYS_FAILS_RUNS:
            continue
        ids = {r.execution_id for r in streak}
        errors = [
            a
            for a in h.attempts
            if a.step_id == step_id and a.execution_id in ids and a.status is RunStatus.FAILED
        ]
        types = Counter(a.error_type or "Error" for a in errors)
        sample = next((a.error for a in errors if a.error), None) or streak[0].reason
        out.append(
            _rec(
                "step_always_fails",
                h.spec.name,
                f"Step '{step_id}' of '{h.spec.name}' failed in its last {len(streak)} executions",
                "Every recent run of this step failed; retrying or rescheduling will not help. "
                "Fix its configuration or its source (the errors are below).",
                {
                    "step": step_id,
                    "consecutive_failures": len(streak),
                    "executions": [r.execution_id for r in streak],
                    "reasons": [r.reason for r in streak],
                    "error_types": dict(types.most_common(5)),
                    "sample_error": sample,
                },
                subject=step_id,
            )
        )
    return out


# --- incremental classification -----------------------------------------------------------


def incremental_rule(h: History) -> list[Recommendation]:
    out = []
    for step in h.spec.steps:
        source = step.source
        if step.type != "classify" or source is None or step.config.get("incremental"):
            continue
        scans = [s for s in h.scans.get(source, []) if s.objects_total > 0][:10]
        if len(scans) < MIN_RUNS:
            continue
        fractions = [s.unchanged / s.objects_total for s in scans]
        median = statistics.median(fractions)
        if median < INCREMENTAL_MIN_UNCHANGED:
            continue
        tasks = [
            s.tasks_total
            for s in h.steps
            if s.step_id == step.id and s.status is RunStatus.COMPLETED
        ][:10]
        out.append(
            _rec(
                "incremental_classification",
                h.spec.name,
                f"Classify only changed objects in step '{step.id}' of '{h.spec.name}'",
                f"Discovery found {median:.0%} of the objects of '{source}' unchanged (median of "
                f"the last {len(scans)} scans), yet step '{step.id}' samples and classifies every "
                "object each run.",
                {
                    "step": step.id,
                    "source": source,
                    "median_unchanged_fraction": round(median, 4),
                    "scans": [
                        {"scan_id": s.scan_id, "objects": s.objects_total, "unchanged": s.unchanged}
                        for s in scans
                    ],
                    "objects_classified_per_run": tasks,
                },
                Change("config.incremental", True, step=step.id),
                subject=step.id,
            )
        )
    return out


RULES = (concurrency_rules, failing_step_rule, incremental_rule)


# --- changes to a workflow document -------------------------------------------------------

MISSING: Any = object()


def read_field(document: Mapping[str, Any], change: Change) -> Any:
    """The current value at the change's place (``MISSING`` if absent)."""
    node: Any = _target(document, change)
    for part in change.field.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return copy.deepcopy(node)


def write_field(document: Mapping[str, Any], change: Change, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at the change's place (``MISSING`` removes it)."""
    doc = copy.deepcopy(dict(document))
    node: Any = _target(doc, change)
    *parents, last = change.field.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            if value is MISSING:
                return doc
            node[part] = {}
        node = node[part]
    if value is MISSING:
        node.pop(last, None)
    else:
        node[last] = value
    return doc


def _target(document: Mapping[str, Any], change: Change) -> Any:
    if change.step is None:
        return document
    for step in document.get("steps") or []:
        if isinstance(step, Mapping) and step.get("id") == change.step:
            return step
    raise NotFoundError(
        f"Workflow '{document.get('name')}' has no step '{change.step}' any more",
        step=change.step,
    )
