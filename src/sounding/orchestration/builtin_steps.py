"""Built-in step types, registered exactly as a third-party plugin would register its own.

* ``noop``: does nothing; ``sleep``: waits ``config.seconds`` (cooperatively cancellable).
* ``custom``: ``config.callable`` (``module:function``) is the per-task function, or
  ``config.plan`` a planner ``(StepContext) -> StepPlan``; either must be on the registry's
  allow-list (registered by a plugin, or in a module the operator allowed).
* ``discover``, ``profile``, ``classify``, ``lineage``, ``quality``, ``notify``: declared here;
  their handlers are bound by the services layer.

Every type except ``custom`` with ``plan`` fans out from its config: ``tasks: 3`` (keys ``0``..
``2``), ``tasks: [a, b]`` or ``tasks: [{key, source, priority}]``; ``per_object: true`` runs one
task per object of the upstream steps; otherwise one task. ``source`` names the data source.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from sounding.errors import InvalidInputError
from sounding.orchestration.schedule import parse_duration
from sounding.orchestration.steps import (
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
    TaskFn,
    TaskSpec,
)

logger = logging.getLogger(__name__)

RUNTIME_TYPES = ("discover", "profile", "classify", "lineage", "quality", "notify")


def register_step_types(registry: StepTypeRegistry) -> None:
    for name in RUNTIME_TYPES:
        registry.declare(name)
    registry.register("noop", plan_noop)
    registry.register("sleep", plan_sleep)
    registry.register("custom", lambda ctx: plan_custom(registry, ctx))


def config_tasks(config: Mapping[str, Any]) -> list[TaskSpec | str] | None:
    """The tasks a step's config asks for; None for one task per upstream object."""
    if config.get("per_object"):
        return None
    raw = config.get("tasks")
    if raw is None:
        return ["*"]
    if isinstance(raw, int) and not isinstance(raw, bool):
        return [str(i) for i in range(raw)]
    if not isinstance(raw, list):
        raise InvalidInputError("config.tasks must be a number or a list", loc="config.tasks")
    return [_task(item) for item in raw]


def _task(item: Any) -> TaskSpec | str:
    if isinstance(item, Mapping):
        return TaskSpec(
            key=str(item["key"]), source=item.get("source"), priority=item.get("priority")
        )
    return str(item)


async def _noop(ctx: TaskContext) -> None:
    return None


async def _sleep(ctx: TaskContext) -> None:
    deadline = time.monotonic() + parse_duration(ctx.config.get("seconds", 0))
    while (left := deadline - time.monotonic()) > 0:
        ctx.raise_if_cancelled()
        await asyncio.sleep(min(left, 0.25))


def plan_noop(ctx: StepContext) -> StepPlan:
    return StepPlan(run=_noop, tasks=config_tasks(ctx.config))


def plan_sleep(ctx: StepContext) -> StepPlan:
    return StepPlan(run=_sleep, tasks=config_tasks(ctx.config))


def plan_custom(registry: StepTypeRegistry, ctx: StepContext) -> Any:
    """Plan a ``custom`` step with the allowed callable or planner its config names."""
    planner = ctx.config.get("plan")
    if isinstance(planner, str):
        return registry.resolve_callable(planner)(ctx)
    path = ctx.config.get("callable")
    if not isinstance(path, str):
        raise InvalidInputError(
            f"Step '{ctx.step.id}' of type custom needs config.callable or config.plan",
            step_id=ctx.step.id,
        )
    fn: TaskFn = registry.resolve_callable(path)
    return StepPlan(run=fn, tasks=config_tasks(ctx.config))
