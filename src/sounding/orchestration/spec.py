"""Workflow definitions: the typed form of a workflow YAML/JSON document.

Build one with :func:`sounding.orchestration.parsing.parse_workflow`; it checks structure and
semantics (unknown dependencies, cycles, step types, cron) and keeps the original document in
``WorkflowSpec.document`` so an execution can be rebuilt from storage after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.orchestration import RunCondition, Strategy

logger = logging.getLogger(__name__)

STEP_TYPES_BUILTIN = (
    "discover",
    "profile",
    "classify",
    "lineage",
    "quality",
    "compliance",
    "notify",
    "custom",
    "noop",
    "sleep",
)
TRIGGER_TYPES = ("manual", "schedule", "workflow", "source_changed", "webhook")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry ``n`` (1-based): ``min(max, initial * factor**(n-1))``, +/- jitter."""

    initial: float = 1.0
    factor: float = 2.0
    max: float = 60.0
    jitter: float = 0.1  # fraction of the delay, drawn uniformly in [-jitter, +jitter]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts every try, the first included (1 = no retry).

    ``retry_on`` (exception class names, matched along the MRO) limits retries to those errors;
    ``no_retry_on`` never retries. Input errors (InvalidInputError, NotFoundError, ...) and any
    exception with ``retryable = False`` are never retried.
    """

    attempts: int = 1
    backoff: Backoff = field(default_factory=Backoff)
    retry_on: tuple[str, ...] = ()
    no_retry_on: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkipCondition:
    """Skip the step when true. ``param`` compares an execution parameter; ``callable`` is a
    dotted path ``module:function`` taking the ``StepContext`` and returning a bool."""

    param: str | None = None
    equals: Any = None
    not_equals: Any = None
    in_: tuple[Any, ...] | None = None
    callable: str | None = None


@dataclass(frozen=True, slots=True)
class StepSpec:
    id: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    run_if: RunCondition = RunCondition.ON_SUCCESS
    skip_if: tuple[SkipCondition, ...] = ()
    timeout: float | None = None  # seconds per task attempt
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    priority: int = 0  # higher starts first; FIFO among equals
    resources: Mapping[str, float] = field(default_factory=dict)
    pool: str | None = None
    pool_slots: int = 1

    @property
    def source(self) -> str | None:
        """The data source the step acts on (``config.source``), for per-source limits."""
        value = self.config.get("source")
        return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class Limits:
    max_concurrent: int | None = None  # tasks at once in one execution
    per_source: int | None = None  # tasks at once on one source in one execution


@dataclass(frozen=True, slots=True)
class AdaptiveConfig:
    """AIMD per source: +``increase`` per window of successes, ``*decrease`` on error/slowness."""

    initial: int = 2
    minimum: int = 1
    maximum: int = 16
    increase: float = 1.0
    decrease: float = 0.5
    latency_factor: float = 3.0  # EWMA latency above factor x baseline counts as congestion


@dataclass(frozen=True, slots=True)
class Schedule:
    cron: str | None = None
    timezone: str = "UTC"
    interval: float | None = None  # seconds
    # a tick while an execution of the workflow is still running: skip it, queue it (start
    # when the running one ends), cancel the running one and start, or allow both
    overlap: str = "skip"
    # ticks missed while no server ran: none (skip them), latest (run the newest), all
    catchup: str = "latest"


@dataclass(frozen=True, slots=True)
class Trigger:
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkflowSpec:
    name: str
    steps: tuple[StepSpec, ...]
    strategy: Strategy = Strategy.GRAPH_BASED
    limits: Limits = field(default_factory=Limits)
    adaptive: AdaptiveConfig = field(default_factory=AdaptiveConfig)
    schedule: Schedule | None = None
    triggers: tuple[Trigger, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    document: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def step(self, step_id: str) -> StepSpec:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One unit of work of a step: usually one object (table, file) of a source."""

    key: str
    source: str | None = None  # overrides the step's source for per-source limits
    priority: int | None = None  # overrides the step's priority
    payload: Any = None  # handed to the task function as ``ctx.payload``
