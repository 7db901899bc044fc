"""What the orchestration insights hand out: forecasts, anomalies, recommendations and the
duration history of a workflow or step, as typed records. No I/O.

The services build these; the API validates them into its response schemas
(``api/schemas/insights.py``), whose fields they mirror one for one, the CLI prints them and
the web UI renders them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ForecastFigures:
    """A duration forecast at ``tasks`` objects, its model and its measured error."""

    seconds: float
    tasks: int  # the task count the forecast is for
    model: str  # "linear", "per_task" or "median"
    intercept_seconds: float
    seconds_per_task: float
    runs: int
    loo_mape: float | None  # leave-one-out mean absolute percentage error; None below 3 runs
    baseline_loo_mape: float | None  # the same for "the median duration"


@dataclass(frozen=True, slots=True)
class StepForecast:
    step: str
    forecast: ForecastFigures | None


@dataclass(frozen=True, slots=True)
class WorkflowForecast:
    workflow: str
    execution: ForecastFigures | None
    steps: list[StepForecast]


@dataclass(frozen=True, slots=True)
class RunningStepEta:
    step: str
    status: str
    done: int
    total: int
    remaining_seconds: float | None


@dataclass(frozen=True, slots=True)
class RunningEta:
    execution_id: str
    workflow: str
    status: str
    eta_seconds: float | None
    expected_end: datetime | None
    steps: list[RunningStepEta]


@dataclass(frozen=True, slots=True)
class Forecasts:
    items: list[WorkflowForecast]
    running: list[RunningEta]  # ETAs of the executions running in this process

    def of(self, workflow: str) -> WorkflowForecast | None:
        return next((w for w in self.items if w.workflow == workflow), None)


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A duration or failure rate far from its history, with the figures that say so."""

    kind: str  # "step_duration" | "execution_duration" | "failure_rate"
    workflow: str
    execution_id: str
    step_id: str | None
    value: float  # seconds, or a failure rate
    expected: float  # the forecast, or the median failure rate
    score: float  # (x - median) / max(MAD, floor)
    at: datetime | None
    message: str


@dataclass(frozen=True, slots=True)
class AnomalyReport:
    days: int
    k: float
    rule: str
    items: list[Anomaly]
    total: int


@dataclass(frozen=True, slots=True)
class RecommendedChange:
    """Set ``field`` (a dotted path) of the workflow document, or of step ``step`` in it."""

    field: str
    value: Any
    step: str | None = None


@dataclass(frozen=True, slots=True)
class RecommendationItem:
    """A current recommendation; ``change`` None means advice only."""

    id: str
    kind: str
    workflow: str
    title: str
    rationale: str
    evidence: dict[str, Any]
    change: RecommendedChange | None
    applicable: bool


@dataclass(frozen=True, slots=True)
class RecommendationAction:
    """An applied (or rolled back) recommendation. ``previous`` holds ``present`` and
    ``value``: what the change replaced, restored by a rollback."""

    id: int
    recommendation_id: str
    kind: str
    workflow: str
    title: str
    change: dict[str, Any]
    previous: dict[str, Any]
    evidence: dict[str, Any]
    status: str  # "applied" | "rolled_back"
    applied_at: datetime
    applied_by: str
    applied_version: int | None
    rolled_back_at: datetime | None
    rolled_back_by: str | None
    rolled_back_version: int | None


@dataclass(frozen=True, slots=True)
class Recommendations:
    items: list[RecommendationItem]
    total: int
    applied: list[RecommendationAction]


@dataclass(frozen=True, slots=True)
class DurationPoint:
    """One completed past run: its duration beside what the others forecast for it (the
    leave-one-out prediction) and the band around that forecast."""

    execution_id: str
    at: datetime | None
    tasks: int
    seconds: float
    forecast: float | None
    low: float | None
    high: float | None
    inside: bool | None  # within its band; None without a band


@dataclass(frozen=True, slots=True)
class DurationHistory:
    """Durations of a workflow (``step`` None) or of one step, oldest first, with the
    forecast for the next run, its band and the error measured on this history."""

    workflow: str
    step: str | None
    points: list[DurationPoint]
    forecast: ForecastFigures | None
    band_low: float | None  # the band of ``forecast``
    band_high: float | None
    band_level: float  # the share of runs the band is meant to hold, e.g. 0.8
    coverage: float | None  # the share of past runs inside their own (leave-one-out) band
    anomalies: list[Anomaly]
    steps: list[str]  # the workflow's steps with a history, for navigation


@dataclass(frozen=True, slots=True)
class SourceLoad:
    """Task attempts on one source: volume, errors, latency and concurrency."""

    source: str
    attempts: int = 0
    failed: int = 0
    error_rate: float = 0.0
    p50_seconds: float | None = None
    p95_seconds: float | None = None
    peak_concurrency: int = 0  # most attempts on the source at once within one execution
    error_types: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Summary:
    """Executions of a period: counts, success rate, durations, throughput."""

    executions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    success_rate: float | None = None  # completed / ended
    p50_seconds: float | None = None  # durations of ended executions
    p95_seconds: float | None = None
    tasks_completed: int = 0
    tasks_failed: int = 0
    throughput: float | None = None  # completed tasks per second of execution time


@dataclass(frozen=True, slots=True)
class WorkflowSummary(Summary):
    workflow: str = ""


@dataclass(frozen=True, slots=True)
class DaySummary(Summary):
    day: str = ""  # the UTC day, YYYY-MM-DD


@dataclass(frozen=True, slots=True)
class OrchestrationAnalytics:
    """Executions of the last ``days`` UTC days: overall, per workflow, per source, per day."""

    days: int
    since: datetime  # the start of the first UTC day counted
    overall: Summary
    workflows: list[WorkflowSummary]
    sources: list[SourceLoad]
    sources_from_executions: int  # how many executions the source loads come from
    trend: list[DaySummary]
