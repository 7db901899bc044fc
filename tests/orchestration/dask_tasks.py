"""Task functions for the Dask tests: module-level so the workers import them by reference."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sounding.orchestration import StepContext, StepPlan, StepTypeRegistry, TaskContext
from sounding.orchestration.builtin_steps import config_tasks


def marked_sleep(ctx: TaskContext) -> Any:
    """Writes ``<dir>/<key>.<pid>`` (one file per run, so reruns show), then sleeps."""
    folder = Path(ctx.config["dir"])
    (folder / f"{ctx.task_key}.{os.getpid()}").write_text(str(ctx.attempt))
    time.sleep(float(ctx.config.get("seconds", 0)))
    return {"key": ctx.task_key, "pid": os.getpid()}


def plan_marked(ctx: StepContext) -> StepPlan:
    return StepPlan(run=marked_sleep, tasks=config_tasks(ctx.config))


def registry() -> StepTypeRegistry:
    reg = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    reg.register("marked", plan_marked)
    return reg
