"""Request and response bodies of ``/api/v1/orchestrations``, ``/api/v1/executions`` and
``/api/v1/templates``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sounding.api.validation import RequestModel


class ExecutionCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = Field(default_factory=dict)


class WorkflowUpdate(RequestModel):
    enabled: bool = Field(description="false pauses its schedule and triggers")


class TemplateInstantiate(RequestModel):
    model_config = ConfigDict(extra="forbid")
    params: dict[str, Any] = Field(default_factory=dict)


class WorkflowPublic(BaseModel):
    id: int
    name: str
    version: int = Field(description="Increases when the stored document changes")
    enabled: bool
    strategy: str
    steps: list[str] = Field(description="Step ids in document order")
    schedule: dict[str, Any] | str | None = Field(description="As written in the document")
    spec: dict[str, Any] = Field(description="The workflow document")
    updated_at: datetime | None
    updated_by: str | None
    revision: int | None = Field(description="Increases with every change; the ETag")


class WorkflowApplied(WorkflowPublic):
    changed: bool = Field(description="false when the document was the stored one already")


class WorkflowList(BaseModel):
    items: list[WorkflowPublic]
    total: int


class ExecutionSummary(BaseModel):
    """An execution as lists show it: ``steps`` are the step ids."""

    id: str
    workflow: str
    status: str
    params: dict[str, Any]
    trigger: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    steps: list[str]


class ExecutionList(BaseModel):
    items: list[ExecutionSummary]
    total: int


class StepErrorPublic(BaseModel):
    task_key: str | None = Field(description="null: the step failed before any task ran")
    error_type: str
    message: str


class ExecutionStepPublic(BaseModel):
    id: str
    status: str
    tasks_total: int
    tasks_done: int
    tasks_failed: int
    percent: float | None
    eta_seconds: float | None
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None = Field(description="Why it was skipped, failed or cancelled")
    errors: list[StepErrorPublic] = Field(description="A failed step's first task errors")
    errors_total: int


class ExecutionProgress(BaseModel):
    percent: float
    eta_seconds: float | None


class ExecutionPublic(BaseModel):
    """One execution with each step's status, counts, percent, ETA and errors."""

    id: str
    workflow: str
    status: str
    params: dict[str, Any]
    trigger: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    steps: list[ExecutionStepPublic]
    progress: ExecutionProgress | None = Field(description="Live while it runs in this server")


class TemplateSummary(BaseModel):
    name: str
    category: str
    title: str
    description: str
    required: list[str]
    defaults: dict[str, Any]
    parameters: list[str] = Field(description="Parameter names")


class TemplateList(BaseModel):
    items: list[TemplateSummary]
    total: int


class TemplatePublic(BaseModel):
    name: str
    category: str
    title: str
    description: str
    required: list[str]
    defaults: dict[str, Any]
    parameters: dict[str, Any] = Field(description="The parameters' JSON Schema")
    workflow: dict[str, Any] = Field(description="The workflow document, placeholders kept")


class TemplateInstance(BaseModel):
    template: str
    params: dict[str, Any]
    workflow: WorkflowApplied
