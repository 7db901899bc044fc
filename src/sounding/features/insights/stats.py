"""Insights from execution history: forecasts, ETAs, anomalies and analytics. Pure: no I/O.

Every function takes run records (``sounding.domain.orchestration``) and returns plain results;
the services read the history and present it. The figures, and how far to trust them:

* **Forecasts.** A step's duration is modelled against its object count (``tasks_total``) with
  a Theil-Sen line (the median of pairwise slopes: robust to a few odd runs), slope clamped at
  zero, when at least 3 runs with 2 or more distinct task counts exist; with one task count,
  as ``median(seconds per task) * tasks``; with no task counts, the median duration. A
  workflow's duration is modelled the same way against the sum of its steps' task counts.
  The error is measured on history by **leave-one-out**: each past run is predicted from all
  the others, and the mean absolute percentage error (MAPE) of those predictions is reported,
  beside the same figure for a baseline that ignores task counts (the median duration), so a
  reader sees whether the model earns its keep.
* **Anomalies.** Robust z-scores: a value is flagged when ``|x - median| > k * MAD`` over its
  history (MAD = median absolute deviation, unscaled; ``k = 5`` by default, about 3.4 standard
  deviations for normal data since sigma ~ 1.4826 MAD). For durations, ``x`` is the log of
  (duration / its leave-one-out forecast), so a big run is not an anomaly for being big; the
  MAD is floored at 0.05 (a perfectly regular history flags runs about 28 % off), and a run
  within 0.1 s of its forecast is never flagged (millisecond jitter of tiny steps). For failure
  rates, ``x`` is an execution's failed / total tasks, one-sided (only higher is flagged), MAD
  floored at 0.02 (10 points above the median with ``k = 5``). At least 5 other runs needed;
  each series is judged over its newest ``MAX_SAMPLES`` runs, as forecasts are fitted.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from sounding.domain.insights import Anomaly, SourceLoad, Summary
from sounding.domain.orchestration import (
    ExecutionRecord,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
)

logger = logging.getLogger(__name__)

K_MAD = 5.0
DURATION_MAD_FLOOR = 0.05  # in log(duration / forecast)
FAILURE_MAD_FLOOR = 0.02  # in failed / total tasks
MIN_HISTORY = 5  # other runs needed before anything is flagged
MIN_DEVIATION_SECONDS = 0.1  # a duration this close to its forecast is never an anomaly
MAX_SAMPLES = 200  # newest runs a model is fitted on
ENDED = (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)


# --- small statistics ---------------------------------------------------------------------


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation; None for no values."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def mad(values: Sequence[float]) -> tuple[float, float]:
    """(median, median absolute deviation) of non-empty ``values``. Plain Python: for the
    few hundred values of a series it is faster than numpy's per-call overhead."""
    med = statistics.median(values)
    return med, statistics.median([abs(v - med) for v in values])


def robust_outlier(
    value: float, history: Sequence[float], *, k: float, floor: float, upper_only: bool = False
) -> tuple[bool, float, float]:
    """Whether ``value`` is more than ``k`` MADs from the median of ``history``.

    Returns (flagged, median, score) where score = (value - median) / max(MAD, floor).
    """
    med, spread = mad(history)
    score = (value - med) / max(spread, floor)
    flagged = score > k if upper_only else abs(score) > k
    return flagged, med, score


# --- forecasts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One past run: how many tasks it had and how long it took."""

    key: str  # the execution id
    tasks: int
    seconds: float
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Model:
    """``seconds = intercept + slope * tasks`` (never below 0)."""

    kind: str  # "linear" (Theil-Sen), "per_task" (through the origin) or "median"
    intercept: float
    slope: float
    n: int

    def predict(self, tasks: int) -> float:
        return max(0.0, self.intercept + self.slope * tasks)


def fit(samples: Sequence[Sample]) -> Model | None:
    """The duration model for ``samples`` (see the module docstring); None if empty."""
    if not samples:
        return None
    xs = [s.tasks for s in samples]
    ys = [s.seconds for s in samples]
    if len(samples) >= 3 and len(set(xs)) >= 2:
        slopes = [
            (ys[j] - ys[i]) / (xs[j] - xs[i])
            for i, j in itertools.combinations(range(len(xs)), 2)
            if xs[i] != xs[j]
        ]
        slope = max(0.0, statistics.median(slopes))
        intercept = statistics.median(y - slope * x for x, y in zip(xs, ys, strict=True))
        return Model("linear", intercept, slope, len(samples))
    if all(x > 0 for x in xs):
        return Model(
            "per_task", 0.0, statistics.median(y / x for x, y in zip(xs, ys, strict=True)), len(xs)
        )
    return Model("median", statistics.median(ys), 0.0, len(ys))


def fit_median(samples: Sequence[Sample]) -> Model | None:
    """The baseline: the median duration, whatever the task count."""
    if not samples:
        return None
    return Model("median", statistics.median(s.seconds for s in samples), 0.0, len(samples))


def loo_predictions(
    samples: Sequence[Sample], fitter: Callable[[Sequence[Sample]], Model | None] = fit
) -> list[float | None]:
    """Each sample predicted by the model fitted on all the others (None with no others)."""
    if fitter is fit:
        return _loo_fit(samples)
    out: list[float | None] = []
    for i, s in enumerate(samples):
        model = fitter([o for j, o in enumerate(samples) if j != i])
        out.append(model.predict(s.tasks) if model is not None else None)
    return out


def _loo_fit(samples: Sequence[Sample]) -> list[float | None]:
    """``loo_predictions`` for :func:`fit`, the same figures computed with numpy (and kept for
    the same runs: a page asks for the same history's predictions several times).
    Refitting Theil-Sen in Python for each run costs O(n^3) (3 s at 200 runs); here the
    pairwise slopes are sorted once and each fit finds the median of those not involving the
    left-out run by rank, skipping that run's pairs."""
    return list(_loo_fit_cached(tuple(samples)))


def _kth_kept(k: int, removed: np.ndarray[Any, Any]) -> int:
    """The position in a sorted array of its ``k``-th element (from 0) once the sorted
    positions ``removed`` are left out: the smallest ``p = k + #(removed <= p)``."""
    p = k
    while True:
        q = k + int(np.searchsorted(removed, p, side="right"))
        if q == p:
            return p
        p = q


def _median_kept(ordered: np.ndarray[Any, Any], removed: np.ndarray[Any, Any]) -> float:
    kept = ordered.size - removed.size
    mid = kept // 2
    if kept % 2:
        return float(ordered[_kth_kept(mid, removed)])
    return float((ordered[_kth_kept(mid - 1, removed)] + ordered[_kth_kept(mid, removed)]) / 2)


@functools.lru_cache(maxsize=256)
def _loo_fit_cached(samples: tuple[Sample, ...]) -> tuple[float | None, ...]:
    n = len(samples)
    xs = np.array([s.tasks for s in samples], dtype=np.float64)
    ys = np.array([s.seconds for s in samples], dtype=np.float64)
    first, second = np.triu_indices(n, 1)
    dx = xs[second] - xs[first]
    distinct = dx != 0
    first, second = first[distinct], second[distinct]
    slopes = (ys[second] - ys[first]) / dx[distinct]
    order = np.argsort(slopes, kind="stable")
    ordered, first, second = slopes[order], first[order], second[order]
    everyone = np.arange(n)
    per_count = Counter(s.tasks for s in samples)
    zeros = per_count[0]
    out: list[float | None] = []
    for i in range(n):
        others = everyone != i
        ox, oy = xs[others], ys[others]
        if n - 1 == 0:
            out.append(None)
            continue
        own = samples[i].tasks
        distinct_others = len(per_count) - (per_count[own] == 1)
        if n - 1 >= 3 and distinct_others >= 2:
            removed = np.flatnonzero((first == i) | (second == i))
            slope = max(0.0, _median_kept(ordered, removed))
            model = Model("linear", float(np.median(oy - slope * ox)), slope, n - 1)
        elif zeros - (own == 0) == 0:
            model = Model("per_task", 0.0, float(np.median(oy / ox)), n - 1)
        else:
            model = Model("median", float(np.median(oy)), 0.0, n - 1)
        out.append(model.predict(samples[i].tasks))
    return tuple(out)


def mape(samples: Sequence[Sample], predictions: Sequence[float | None]) -> float | None:
    """Mean absolute percentage error over samples with a prediction and a duration > 0."""
    errors = [
        abs(p - s.seconds) / s.seconds
        for s, p in zip(samples, predictions, strict=True)
        if p is not None and s.seconds > 0
    ]
    return statistics.fmean(errors) if errors else None


@dataclass(frozen=True, slots=True)
class Forecast:
    """A duration model with its measured error. ``mape`` is leave-one-out (None below 3 runs);
    ``baseline_mape`` is the same for "the median duration, whatever the task count"."""

    model: Model
    n: int
    mape: float | None
    baseline_mape: float | None
    tasks: int  # the task count ``seconds`` is forecast for
    seconds: float


def newest(samples: Iterable[Sample]) -> list[Sample]:
    """The newest ``MAX_SAMPLES`` of ``samples``, oldest first: what models are fitted on."""
    return sorted(samples, key=lambda s: (s.at is None, s.at or datetime.min))[-MAX_SAMPLES:]


def forecast(samples: Sequence[Sample], tasks: int | None = None) -> Forecast | None:
    """Fit ``samples`` (newest ``MAX_SAMPLES``) and forecast for ``tasks`` (default: the task
    count of the newest sample)."""
    samples = newest(samples)
    model = fit(samples)
    if model is None:
        return None
    at = samples[-1].tasks if tasks is None else tasks
    enough = len(samples) >= 3
    return Forecast(
        model=model,
        n=len(samples),
        mape=mape(samples, loo_predictions(samples)) if enough else None,
        baseline_mape=mape(samples, loo_predictions(samples, fit_median)) if enough else None,
        tasks=at,
        seconds=model.predict(at),
    )


def step_samples(
    steps: Iterable[StepRecord], workflow_of: Mapping[str, str]
) -> dict[tuple[str, str], list[Sample]]:
    """Completed steps as samples, per (workflow, step id)."""
    out: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for s in steps:
        secs = seconds_between(s.started_at, s.finished_at)
        workflow = workflow_of.get(s.execution_id)
        if s.status is RunStatus.COMPLETED and secs is not None and workflow is not None:
            out[(workflow, s.step_id)].append(
                Sample(s.execution_id, s.tasks_total, secs, s.started_at)
            )
    return dict(out)


def execution_samples(
    executions: Iterable[ExecutionRecord], steps: Iterable[StepRecord]
) -> dict[str, list[Sample]]:
    """Completed executions as samples (tasks = the sum of their steps' tasks), per workflow."""
    tasks: Counter[str] = Counter()
    for s in steps:
        tasks[s.execution_id] += s.tasks_total
    out: dict[str, list[Sample]] = defaultdict(list)
    for e in executions:
        secs = seconds_between(e.started_at, e.finished_at)
        if e.status is RunStatus.COMPLETED and secs is not None:
            out[e.workflow].append(Sample(e.id, tasks[e.id], secs, e.started_at))
    return dict(out)


# --- ETA of a running execution -----------------------------------------------------------


def step_remaining(
    status: RunStatus,
    *,
    elapsed: float,
    done: int,
    total: int,
    total_known: bool,
    forecast_seconds: float | None,
) -> float | None:
    """Seconds a step still needs: 0 once ended; from its progress rate when its task list is
    known and some tasks ended; else its forecast minus the time spent. None if unknown."""
    if status.finished:
        return 0.0
    if status is RunStatus.RUNNING and total_known and total > 0 and done > 0:
        return elapsed * (total - done) / done
    if forecast_seconds is None:
        return None
    return max(0.0, forecast_seconds - elapsed)


def execution_eta(
    depends_on: Mapping[str, Sequence[str]],
    remaining: Mapping[str, float | None],
    *,
    sequential: bool = False,
) -> float | None:
    """Seconds until the execution ends: the longest chain of remaining step times through
    the DAG (the sum, for the sequential strategy). None if any unfinished step is unknown."""
    if any(v is None for v in remaining.values()):
        return None
    left = {k: float(v or 0.0) for k, v in remaining.items()}
    if sequential:
        return sum(left.values())
    finish: dict[str, float] = {}

    def end(step: str, seen: frozenset[str]) -> float:
        if step not in finish:
            ups = [u for u in depends_on.get(step, ()) if u in left and u not in seen]
            finish[step] = left.get(step, 0.0) + max(
                (end(u, seen | {step}) for u in ups), default=0.0
            )
        return finish[step]

    return max((end(s, frozenset()) for s in left), default=0.0)


# --- anomalies ----------------------------------------------------------------------------


def duration_anomalies(
    samples: Sequence[Sample], *, k: float = K_MAD
) -> list[tuple[Sample, float, float]]:
    """Samples whose duration is off its leave-one-out forecast: (sample, forecast, score)."""
    preds = loo_predictions(samples)
    ratios = [
        (s, p, math.log(s.seconds / p))
        for s, p in zip(samples, preds, strict=True)
        if p is not None and p > 0 and s.seconds > 0
    ]
    values = [r for _, _, r in ratios]
    out = []
    for i, (s, p, x) in enumerate(ratios):
        history = values[:i] + values[i + 1 :]
        if len(history) < MIN_HISTORY:
            continue
        flagged, _, score = robust_outlier(x, history, k=k, floor=DURATION_MAD_FLOOR)
        if flagged and abs(s.seconds - p) >= MIN_DEVIATION_SECONDS:
            out.append((s, p, score))
    return out


def failure_rates(
    executions: Iterable[ExecutionRecord], steps: Iterable[StepRecord]
) -> dict[str, list[tuple[ExecutionRecord, float]]]:
    """Per workflow, each ended execution's failed / total tasks (executions with tasks)."""
    totals: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for s in steps:
        totals[s.execution_id] += s.tasks_total
        failed[s.execution_id] += s.tasks_failed
    out: dict[str, list[tuple[ExecutionRecord, float]]] = defaultdict(list)
    for e in executions:
        if e.status in ENDED and totals[e.id] > 0:
            out[e.workflow].append((e, failed[e.id] / totals[e.id]))
    return dict(out)


def find_anomalies(
    executions: Sequence[ExecutionRecord], steps: Sequence[StepRecord], *, k: float = K_MAD
) -> list[Anomaly]:
    """Duration anomalies per step and per workflow, failure-rate anomalies per workflow;
    newest first."""
    workflow_of = {e.id: e.workflow for e in executions}
    found: list[Anomaly] = []
    for (workflow, step_id), samples in step_samples(steps, workflow_of).items():
        for s, p, score in duration_anomalies(newest(samples), k=k):
            found.append(_duration_anomaly("step_duration", workflow, step_id, s, p, score))
    for workflow, samples in execution_samples(executions, steps).items():
        for s, p, score in duration_anomalies(newest(samples), k=k):
            found.append(_duration_anomaly("execution_duration", workflow, None, s, p, score))
    for workflow, all_rates in failure_rates(executions, steps).items():
        rates = sorted(all_rates, key=lambda r: r[0].created_at)[-MAX_SAMPLES:]
        values = [r for _, r in rates]
        for i, (e, rate) in enumerate(rates):
            history = values[:i] + values[i + 1 :]
            if len(history) < MIN_HISTORY:
                continue
            flagged, med, score = robust_outlier(
                rate, history, k=k, floor=FAILURE_MAD_FLOOR, upper_only=True
            )
            if flagged:
                found.append(
                    Anomaly(
                        "failure_rate",
                        workflow,
                        e.id,
                        None,
                        rate,
                        med,
                        score,
                        e.started_at,
                        f"{rate:.0%} of tasks failed (median {med:.0%} over "
                        f"{len(history)} other executions)",
                    )
                )
    found.sort(key=lambda a: (a.at is None, a.at or datetime.min), reverse=True)
    return found


def _duration_anomaly(
    kind: str, workflow: str, step_id: str | None, s: Sample, expected: float, score: float
) -> Anomaly:
    what = f"step '{step_id}'" if step_id else "the execution"
    speed = "slower" if s.seconds > expected else "faster"
    return Anomaly(
        kind,
        workflow,
        s.key,
        step_id,
        s.seconds,
        expected,
        score,
        s.at,
        f"{what} took {s.seconds:.3g} s for {s.tasks} task(s), {s.seconds / expected:.2g}x "
        f"its forecast of {expected:.3g} s ({speed} than usual)",
    )


# --- sources: latency, errors, concurrency ------------------------------------------------


def concurrency_at_start(attempts: Sequence[TaskAttemptRecord]) -> list[int]:
    """For each attempt (in the given order), how many of ``attempts`` were running when it
    started, itself included. Attempts without an end count as running to the last start."""
    order = sorted(range(len(attempts)), key=lambda i: attempts[i].started_at)
    ends: list[datetime] = []
    out = [0] * len(attempts)
    for i in order:
        a = attempts[i]
        while ends and ends[0] <= a.started_at:
            heapq.heappop(ends)
        heapq.heappush(ends, a.finished_at or datetime.max.replace(tzinfo=a.started_at.tzinfo))
        out[i] = len(ends)
    return out


def mean_concurrency(attempts: Sequence[TaskAttemptRecord]) -> list[float]:
    """For each attempt (in the given order), the time-weighted mean number of ``attempts``
    running while it ran, itself included: the load it was exposed to. Attempts without an
    end count as ending at the last known time."""
    if not attempts:
        return []
    last = max(max(a.started_at, a.finished_at or a.started_at) for a in attempts)
    spans = [(a.started_at, a.finished_at or last) for a in attempts]
    deltas: dict[datetime, int] = defaultdict(int)
    for start, end in spans:
        deltas[start] += 1
        deltas[end] -= 1
    integral: dict[datetime, float] = {}
    area, level, prev = 0.0, 0, None
    for t in sorted(deltas):
        if prev is not None:
            area += level * (t - prev).total_seconds()
        integral[t] = area
        level += deltas[t]
        prev = t
    out = []
    for start, end in spans:
        length = (end - start).total_seconds()
        out.append((integral[end] - integral[start]) / length if length > 0 else 1.0)
    return out


def source_loads(attempts: Iterable[TaskAttemptRecord]) -> dict[str, SourceLoad]:
    """Per source, over ended attempts (cancelled ones excluded)."""
    by_source: dict[str, list[TaskAttemptRecord]] = defaultdict(list)
    for a in attempts:
        if a.source is not None and a.status in (RunStatus.COMPLETED, RunStatus.FAILED):
            by_source[a.source].append(a)
    out = {}
    for source, items in sorted(by_source.items()):
        latencies = [
            x for a in items if (x := seconds_between(a.started_at, a.finished_at)) is not None
        ]
        failed = [a for a in items if a.status is RunStatus.FAILED]
        peak = 0
        for group in _by_execution(items).values():
            peak = max(peak, max(concurrency_at_start(group), default=0))
        out[source] = SourceLoad(
            source=source,
            attempts=len(items),
            failed=len(failed),
            error_rate=len(failed) / len(items),
            p50_seconds=percentile(latencies, 50),
            p95_seconds=percentile(latencies, 95),
            peak_concurrency=peak,
            error_types=dict(Counter(a.error_type or "Error" for a in failed).most_common(5)),
        )
    return out


def _by_execution(attempts: Iterable[TaskAttemptRecord]) -> dict[str, list[TaskAttemptRecord]]:
    out: dict[str, list[TaskAttemptRecord]] = defaultdict(list)
    for a in attempts:
        out[a.execution_id].append(a)
    return out


# --- analytics ----------------------------------------------------------------------------


def summarize(executions: Sequence[ExecutionRecord], steps: Sequence[StepRecord]) -> Summary:
    ids = {e.id for e in executions}
    done = sum(s.tasks_done for s in steps if s.execution_id in ids)
    failed = sum(s.tasks_failed for s in steps if s.execution_id in ids)
    ended = [e for e in executions if e.status in ENDED]
    durations = [
        x for e in ended if (x := seconds_between(e.started_at, e.finished_at)) is not None
    ]
    busy = sum(durations)
    return Summary(
        executions=len(executions),
        by_status=dict(Counter(e.status.value for e in executions)),
        success_rate=(
            sum(e.status is RunStatus.COMPLETED for e in ended) / len(ended) if ended else None
        ),
        p50_seconds=percentile(durations, 50),
        p95_seconds=percentile(durations, 95),
        tasks_completed=done,
        tasks_failed=failed,
        throughput=done / busy if busy > 0 else None,
    )


def daily_trend(
    executions: Sequence[ExecutionRecord],
    steps: Sequence[StepRecord],
    *,
    start: datetime,
    days: int,
) -> list[tuple[datetime, Summary]]:
    """One summary per UTC day from ``start`` (midnight), by execution creation time."""
    by_execution: dict[str, list[StepRecord]] = defaultdict(list)
    for s in steps:
        by_execution[s.execution_id].append(s)
    out = []
    for d in range(days):
        lo = start + timedelta(days=d)
        hi = lo + timedelta(days=1)
        day = [e for e in executions if lo <= e.created_at < hi]
        day_steps = [s for e in day for s in by_execution.get(e.id, [])]
        out.append((lo, summarize(day, day_steps)))
    return out
