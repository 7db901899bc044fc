"""A probe step type that records what ran when, and small helpers for engine tests."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from sounding import errors
from sounding.orchestration import (
    Engine,
    EngineConfig,
    InMemoryRunStorage,
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
)
from sounding.orchestration.builtin_steps import config_tasks
from sounding.orchestration.storage import RunStorage

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(bounded())


@dataclass
class Span:
    step: str
    key: str
    attempt: int
    source: str | None
    start: float
    end: float = 0.0
    ok: bool = False


class Probe:
    """Step type ``probe``: config ``tasks``/``per_object``/``source`` like the built-ins, plus
    ``seconds`` (sleep; ``seconds_by_key`` per key), ``fail`` (keys that fail, ``"*"`` for
    all), ``fail_times`` (fail only the first N attempts), ``error`` (exception class name in
    ``sounding.errors``, else ValueError), ``blocking`` (run in a thread)."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.running = 0
        self.max_running = 0
        self.by_source: Counter[str | None] = Counter()
        self.max_by_source: dict[str | None, int] = defaultdict(int)
        self.calls: Counter[tuple[str, str]] = Counter()
        self.gate: asyncio.Event | None = None  # when set, tasks wait for it

    def registry(self) -> StepTypeRegistry:
        reg = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
        reg.register("probe", self.plan)
        return reg

    def plan(self, ctx: StepContext) -> StepPlan:
        cfg = ctx.config
        if cfg.get("blocking"):
            return StepPlan(run=self._blocking, tasks=config_tasks(cfg))
        return StepPlan(run=self._task, tasks=config_tasks(cfg))

    def _begin(self, ctx: TaskContext) -> Span:
        span = Span(ctx.step_id, ctx.task_key, ctx.attempt, ctx.source, time.monotonic())
        self.spans.append(span)
        self.calls[(ctx.step_id, ctx.task_key)] += 1
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        self.by_source[ctx.source] += 1
        self.max_by_source[ctx.source] = max(
            self.max_by_source[ctx.source], self.by_source[ctx.source]
        )
        return span

    def _leave(self, span: Span, ctx: TaskContext) -> None:
        self.running -= 1
        self.by_source[ctx.source] -= 1
        span.end = time.monotonic()

    def _maybe_fail(self, span: Span, ctx: TaskContext) -> None:
        cfg = ctx.config
        fail = cfg.get("fail", [])
        if (fail == "*" or ctx.task_key in fail) and ctx.attempt <= cfg.get("fail_times", 10**6):
            error_class = getattr(errors, str(cfg.get("error")), ValueError)
            raise error_class(f"probe failure {ctx.step_id}/{ctx.task_key}")
        span.ok = True

    async def _task(self, ctx: TaskContext) -> Any:
        span = self._begin(ctx)
        try:
            if self.gate is not None:
                await self.gate.wait()
            seconds = ctx.config.get("seconds_by_key", {}).get(ctx.task_key)
            seconds = ctx.config.get("seconds", 0) if seconds is None else seconds
            deadline = time.monotonic() + float(seconds)
            while time.monotonic() < deadline:
                ctx.raise_if_cancelled()
                await asyncio.sleep(min(0.01, deadline - time.monotonic()))
        finally:
            self._leave(span, ctx)
        self._maybe_fail(span, ctx)
        return {"key": ctx.task_key, "inputs": dict(ctx.inputs)}

    def _blocking(self, ctx: TaskContext) -> Any:
        span = self._begin(ctx)
        deadline = time.monotonic() + float(ctx.config.get("seconds", 0))
        while time.monotonic() < deadline and not ctx.cancelled:
            time.sleep(0.005)
        self._leave(span, ctx)
        self._maybe_fail(span, ctx)
        return ctx.task_key

    def spans_of(self, step: str) -> list[Span]:
        return [s for s in self.spans if s.step == step]


def engine(probe: Probe, storage: RunStorage | None = None, **config: Any) -> Engine:
    return Engine(
        storage or InMemoryRunStorage(),
        registry=probe.registry(),
        config=EngineConfig(**config),
    )


def workflow(*steps: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"name": top.pop("name", "wf"), "steps": list(steps), **top}


def shout(ctx: TaskContext) -> str:
    """A plain (blocking) task function for the ``custom`` step type, by dotted path."""
    return f"{ctx.task_key.upper()}!"


def skip_on_weekend(ctx: StepContext) -> bool:
    return bool(ctx.params.get("weekend"))
