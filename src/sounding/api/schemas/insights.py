"""Response bodies of ``/api/v1/insights``, ``/api/v1/analytics/orchestration`` and
``/api/v1/system/health``.

Their inner figures (run statistics, forecasts, per-source loads) are reports whose fields
follow the statistics computed; they are typed as JSON objects here and described in
docs/api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class OrchestrationAnalytics(BaseModel):
    days: int
    since: datetime = Field(description="Start of the first UTC day counted")
    overall: dict[str, Any] = Field(description="Success rate, p50/p95 durations, throughput")
    workflows: list[dict[str, Any]] = Field(description="The same figures per workflow")
    sources: list[dict[str, Any]] = Field(description="Task load per source")
    sources_from_executions: int = Field(description="How many executions the loads come from")
    trend: list[dict[str, Any]] = Field(description="The figures per UTC day")


class Forecasts(BaseModel):
    items: list[dict[str, Any]] = Field(description="Per workflow: forecast and per step")
    running: list[dict[str, Any]] = Field(description="ETAs of the running executions")


class Anomalies(BaseModel):
    days: int
    k: float
    rule: str
    items: list[dict[str, Any]]
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


class SystemHealth(BaseModel):
    status: str = Field(description="ok, or degraded with the reasons in problems")
    problems: list[str]
    version: str
    at: datetime
    store: StoreHealth
    queue: QueueHealth
    running_tasks: int
    executor: dict[str, Any] = Field(description="name, started, workers, utilization, ...")
    sources: list[dict[str, Any]]
    executions: list[dict[str, Any]]
    scheduler: dict[str, Any] = Field(description="running, ticks_started, next ticks")
