"""What the workflow and template pages of the web UI show, as typed records. No I/O.

- :class:`WorkflowListPage`: one page of workflows (:class:`WorkflowRow`: last execution,
  schedule in words, next run, enabled).
- :class:`WorkflowView`: one workflow: its YAML, its DAG laid out for drawing, the run form
  (:class:`ParamField`), its executions (:class:`ExecutionRow`) and the template it came from.
- :class:`EditorProblem`: a validation problem placed on a line of the YAML.
- :class:`AppliedWorkflow`: what saving stored; :class:`FormProblems`: why a form did nothing.
- :class:`TemplateCard` and :class:`TemplatePreview`: the gallery and what a form would make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class LastExecution:
    id: str
    status: str
    created_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class WorkflowRow:
    name: str
    version: int
    enabled: bool
    steps: int
    schedule: str | None  # in words; None: run by hand or by a trigger only
    next_run: datetime | None  # None: no schedule, or disabled
    last: LastExecution | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class WorkflowListPage:
    rows: tuple[WorkflowRow, ...]
    total: int
    page: int
    pages: int
    size: int
    query: str


@dataclass(frozen=True, slots=True)
class ExecutionRow:
    id: str
    status: str
    trigger: str
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class ParamField:
    """One field of a parameter form. ``kind``: string, integer, number, boolean, list,
    choice, json or mixed (several types); ``value`` is the text the field shows."""

    name: str
    kind: str
    value: str
    required: bool = False
    nullable: bool = False
    description: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    hint: str = ""  # shown as the placeholder (a default that names other parameters)
    types: tuple[str, ...] = ()  # the JSON types the field accepts


@dataclass(frozen=True, slots=True)
class TemplateOrigin:
    template: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WorkflowView:
    name: str
    version: int
    enabled: bool
    description: str
    yaml: str
    revision: int | None
    schedule: str | None
    next_run: datetime | None
    elements: list[dict[str, Any]]  # cytoscape elements with preset positions
    run_fields: tuple[ParamField, ...]
    executions: tuple[ExecutionRow, ...]
    origin: TemplateOrigin | None
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class EditorProblem:
    loc: str
    message: str
    line: int | None  # 1-based; None: no line holds it (shown above the editor)


@dataclass(frozen=True, slots=True)
class AppliedWorkflow:
    """A document the editor (or the gallery) stored: ``changed`` is False when it was the
    stored version already."""

    name: str
    version: int
    changed: bool


@dataclass(frozen=True, slots=True)
class FormProblems:
    """Why a form did nothing: a message per field name (``""``: the form as a whole)."""

    errors: dict[str, str]


@dataclass(frozen=True, slots=True)
class TemplateCard:
    name: str
    category: str
    title: str
    description: str
    fields: tuple[ParamField, ...]


@dataclass(frozen=True, slots=True)
class TemplatePreview:
    """What a template makes of the parameters: the workflow's YAML, or the problems."""

    template: str
    workflow_name: str | None
    yaml: str | None
    steps: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)  # field name ("" = form) -> message
