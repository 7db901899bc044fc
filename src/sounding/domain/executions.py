"""What the workflow services say about executions, as typed records. No I/O.

:class:`ExecutionSummary` is an execution as lists show it (``steps``: the step ids);
:class:`ExecutionDetail` adds each step's status, counts, percent, ETA and first errors.
The API validates them into ``api/schemas/workflows.py`` by attribute; the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StepError:
    """One task error of a failed step."""

    task_key: str | None  # None: the step failed before any task ran (planning)
    error_type: str
    message: str


@dataclass(frozen=True, slots=True)
class StepErrors:
    """A failed step's first errors and how many there are in all."""

    errors: tuple[StepError, ...]
    total: int


@dataclass(frozen=True, slots=True)
class StepView:
    """One step of an execution: live figures while it runs in this process."""

    id: str
    status: str
    tasks_total: int
    tasks_done: int
    tasks_failed: int
    percent: float | None
    eta_seconds: float | None
    started_at: datetime | None
    finished_at: datetime | None
    reason: str | None
    errors: list[StepError]
    errors_total: int


@dataclass(frozen=True, slots=True)
class ExecutionProgress:
    """The execution's overall percent and ETA, while it runs in this process."""

    percent: float
    eta_seconds: float | None


@dataclass(frozen=True, slots=True)
class ExecutionSummary:
    """An execution as lists show it: ``steps`` are the ids of its workflow's steps."""

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


@dataclass(frozen=True, slots=True)
class ExecutionDetail:
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
    steps: list[StepView]
    progress: ExecutionProgress | None


@dataclass(frozen=True, slots=True)
class StoredWorkflow:
    """A stored workflow document with what lists show of it (``GET /orchestrations/{name}``)."""

    id: int
    name: str
    version: int  # increases when the stored document changes
    enabled: bool
    strategy: str
    steps: tuple[str, ...]  # step ids in document order
    schedule: dict[str, Any] | str | None  # as written in the document
    spec: dict[str, Any]  # the workflow document
    updated_at: datetime | None
    updated_by: str | None
    revision: int | None  # increases with every change; the ETag


@dataclass(frozen=True, slots=True)
class StoredWorkflowApplied(StoredWorkflow):
    """A workflow as applying it left it; ``changed`` is False when it was stored already."""

    changed: bool


@dataclass(frozen=True, slots=True)
class WorkflowFromTemplate:
    """A workflow made from a template: the template, its resolved parameters, the workflow."""

    template: str
    params: dict[str, Any]
    workflow: StoredWorkflowApplied


@dataclass(frozen=True, slots=True)
class TemplateSummaryRecord:
    """A built-in workflow template as lists show it: its parameters' names."""

    name: str
    category: str
    title: str
    description: str
    required: tuple[str, ...]
    defaults: dict[str, Any]
    parameters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """A built-in workflow template with its parameters' JSON Schema and its workflow
    document, placeholders kept (both documents, kept as dicts)."""

    name: str
    category: str
    title: str
    description: str
    required: tuple[str, ...]
    defaults: dict[str, Any]
    parameters: dict[str, Any]
    workflow: dict[str, Any]
