"""Workflow orchestration: specs, DAG validation, the engine, limits, run storage, executors.

Imports only ``sounding.domain`` and ``sounding.errors`` of our code; step handlers for the
scanning stages are bound by the services layer through :class:`StepTypeRegistry`.
See docs/orchestration.md.
"""

from __future__ import annotations

from sounding.orchestration.engine import Engine, EngineConfig
from sounding.orchestration.events import EventBus, Subscription
from sounding.orchestration.executors import Executor, LocalExecutor, TaskCall
from sounding.orchestration.parsing import load_document, parse_workflow
from sounding.orchestration.spec import StepSpec, WorkflowSpec
from sounding.orchestration.steps import (
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
    TaskSpec,
)
from sounding.orchestration.storage import InMemoryRunStorage, RunStorage

__all__ = [
    "Engine",
    "EngineConfig",
    "EventBus",
    "Executor",
    "InMemoryRunStorage",
    "LocalExecutor",
    "RunStorage",
    "StepContext",
    "StepPlan",
    "StepSpec",
    "StepTypeRegistry",
    "Subscription",
    "TaskCall",
    "TaskContext",
    "TaskSpec",
    "WorkflowSpec",
    "load_document",
    "parse_workflow",
]
