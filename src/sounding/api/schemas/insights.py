"""Response bodies of ``/api/v1/insights``, ``/api/v1/analytics/orchestration`` and
``/api/v1/system/health``.

The fields follow the records of ``features/insights/stats.py`` (``Summary``, ``SourceLoad``,
``Forecast``, ``Anomaly``) and ``services/health.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RunSummary(BaseModel):
    """Executions of a period: counts, success rate, durations, throughput."""

    executions: int
    by_status: dict[str, int]
    success_rate: float | None = Field(description="completed / ended; null: none ended")
    p50_seconds: float | None
    p95_seconds: float | None
    tasks_completed: int
    tasks_failed: int
    throughput: float | None = Field(description="Completed tasks per second of execution time")


class WorkflowRunSummary(RunSummary):
    workflow: str


class DayRunSummary(RunSummary):
    day: str = Field(description="UTC day, YYYY-MM-DD")


class SourceLoadPublic(BaseModel):
    """Task attempts on one source: volume, errors, latency and concurrency."""

    source: str
    attempts: int
    failed: int
    error_rate: float
    p50_seconds: float | None
    p95_seconds: float | None
    peak_concurrency: int = Field(description="Most attempts at once within one execution")
    error_types: dict[str, int]


class OrchestrationAnalytics(BaseModel):
    days: int
    since: datetime = Field(description="Start of the first UTC day counted")
    overall: RunSummary
    workflows: list[WorkflowRunSummary]
    sources: list[SourceLoadPublic]
    sources_from_executions: int = Field(description="How many executions the loads come from")
    trend: list[DayRunSummary]


class ForecastPublic(BaseModel):
    seconds: float
    tasks: int = Field(description="The task count the forecast is for")
    model: str = Field(description="linear, per_task or median")
    intercept_seconds: float
    seconds_per_task: float
    runs: int
    loo_mape: float | None = Field(description="Leave-one-out mean absolute percentage error")
    baseline_loo_mape: float | None


class StepForecast(BaseModel):
    step: str
    forecast: ForecastPublic | None


class WorkflowForecast(BaseModel):
    workflow: str
    execution: ForecastPublic | None
    steps: list[StepForecast]


class RunningStepEta(BaseModel):
    step: str
    status: str
    done: int
    total: int
    remaining_seconds: float | None


class RunningEta(BaseModel):
    execution_id: str
    workflow: str
    status: str
    eta_seconds: float | None
    expected_end: datetime | None
    steps: list[RunningStepEta]


class Forecasts(BaseModel):
    items: list[WorkflowForecast]
    running: list[RunningEta] = Field(description="ETAs of the running executions")


class AnomalyPublic(BaseModel):
    kind: str = Field(description="step_duration, execution_duration or failure_rate")
    workflow: str
    execution_id: str
    step_id: str | None
    value: float = Field(description="Seconds, or a failure rate")
    expected: float
    score: float = Field(description="(x - median) / max(MAD, floor)")
    at: datetime | None
    message: str


class Anomalies(BaseModel):
    days: int
    k: float
    rule: str
    items: list[AnomalyPublic]
    total: int


class RecommendationPublic(BaseModel):
    id: str
    kind: str
    workflow: str
    title: str
    rationale: str
    evidence: dict[str, Any]
    change: dict[str, Any] | None = Field(description="field, step, value; null: advice only")
    applicable: bool


class RecommendationActionPublic(BaseModel):
    """An applied (or rolled back) recommendation."""

    id: int
    recommendation_id: str
    kind: str
    workflow: str
    title: str
    change: dict[str, Any]
    previous: dict[str, Any] = Field(description="present, value: what the change replaced")
    evidence: dict[str, Any]
    status: str = Field(description="applied or rolled_back")
    applied_at: datetime
    applied_by: str
    applied_version: int | None
    rolled_back_at: datetime | None
    rolled_back_by: str | None
    rolled_back_version: int | None


class Recommendations(BaseModel):
    items: list[RecommendationPublic]
    total: int
    applied: list[RecommendationActionPublic]


class StoreHealth(BaseModel):
    reachable: bool
    backend: str
    error: str | None


class QueueHealth(BaseModel):
    queued: int
    retry_wait: int


class ExecutorHealth(BaseModel):
    name: str
    started: bool
    workers: int | None = Field(description="null: not known (a lazy or unreachable executor)")
    scheduler: str | None = Field(description="The Dask scheduler's address")
    max_concurrency: int | None
    utilization: float | None = Field(description="Running tasks / max_concurrency")


class SourceHealth(BaseModel):
    source: str
    running: int
    queued: int
    limit: int | None = Field(description="Across executions; null: no cap")
    utilization: float | None
    execution_limits: dict[str, int | None] = Field(description="Cap per execution id")


class ExecutionLoadPublic(BaseModel):
    id: str
    workflow: str
    status: str
    strategy: str
    queued: int
    retry_wait: int
    running: int
    per_source_limit: dict[str, int | None]
    elapsed_seconds: float


class ScheduledTick(BaseModel):
    workflow: str
    last_tick: datetime | None
    next_tick: datetime
    due: bool
    overdue_seconds: float


class SchedulerHealth(BaseModel):
    running: bool
    ticks_started: int
    next: list[ScheduledTick]


class SystemHealth(BaseModel):
    status: str = Field(description="ok, or degraded with the reasons in problems")
    problems: list[str]
    version: str
    at: datetime
    store: StoreHealth
    queue: QueueHealth
    running_tasks: int
    executor: ExecutorHealth
    sources: list[SourceHealth]
    executions: list[ExecutionLoadPublic]
    scheduler: SchedulerHealth
