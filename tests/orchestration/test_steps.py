"""Step types: built-ins and plugins through one registry, runtime-bound handlers, fan-out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from sounding.domain.orchestration import RunStatus
from sounding.errors import ConflictError, NotFoundError
from sounding.orchestration import (
    Engine,
    InMemoryRunStorage,
    StepContext,
    StepPlan,
    StepTypeRegistry,
    TaskContext,
    TaskSpec,
)
from sounding.orchestration import steps as steps_module
from tests.orchestration.helpers import run, workflow

PLUGIN_CALLS: list[str] = []


def register_step_types(registry: StepTypeRegistry) -> None:
    """A third-party plugin, loaded through the entry-point group."""
    PLUGIN_CALLS.append("loaded")
    registry.register("shout_all", lambda ctx: StepPlan(run=lambda t: t.task_key.upper()))


def broken_plugin(registry: StepTypeRegistry) -> None:
    raise RuntimeError("plugin bug")


def test_builtins_and_entry_point_plugins_share_the_registry(monkeypatch: Any) -> None:
    eps = [
        EntryPoint("mine", f"{__name__}:register_step_types", steps_module.ENTRY_POINT_GROUP),
        EntryPoint("bad", f"{__name__}:broken_plugin", steps_module.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(steps_module, "entry_points", lambda group: eps)
    registry = StepTypeRegistry.default(allowed_modules=("tests",))
    assert PLUGIN_CALLS == ["loaded"]  # the broken plugin was logged, not fatal
    assert {"noop", "sleep", "custom", "discover", "profile", "shout_all"} <= registry.names()
    with pytest.raises(ConflictError):
        registry.register("noop", lambda ctx: StepPlan(run=lambda t: None))


def execute(registry: StepTypeRegistry, doc: dict[str, Any], **params: Any) -> Any:
    async def main() -> Any:
        async with Engine(InMemoryRunStorage(), registry=registry) as eng:
            eid = await eng.submit(doc, params=params)
            rec = await eng.wait(eid)
            return rec, await eng.storage.get_steps(eid), await eng.storage.list_task_attempts(eid)

    return run(main())


def test_declared_type_without_handler_fails_its_step_with_a_clear_reason() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    with pytest.raises(NotFoundError):
        registry.handler("discover")
    rec, steps, _ = execute(registry, workflow({"id": "d", "type": "discover"}))
    assert rec.status is RunStatus.FAILED
    assert steps[0].status is RunStatus.FAILED and "has no handler" in (steps[0].reason or "")


async def list_tables(ctx: StepContext) -> AsyncIterator[TaskSpec]:
    for name in ("orders", "customers", "items"):
        await asyncio.sleep(0.01)
        yield TaskSpec(name, source=str(ctx.config["source"]), payload={"table": name})


async def describe(ctx: TaskContext) -> Any:
    return {"table": ctx.payload["table"], "source": ctx.source}


def test_services_bind_a_streaming_fan_out_handler_at_runtime() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    registry.register(
        "discover", lambda ctx: StepPlan(run=describe, tasks=list_tables(ctx)), replace=True
    )
    doc = workflow(
        {"id": "d", "type": "discover", "config": {"source": "shop"}},
        {"id": "p", "type": "custom", "depends_on": ["d"],
         "config": {"callable": "tests.orchestration.helpers:shout", "per_object": True}},
        strategy="pipeline",
    )  # fmt: skip
    rec, steps, attempts = execute(registry, doc)
    assert rec.status is RunStatus.COMPLETED
    assert [(s.step_id, s.tasks_total, s.tasks_done) for s in steps] == [("d", 3, 3), ("p", 3, 3)]
    results = {(a.step_id, a.task_key): a.result for a in attempts}
    assert results[("d", "items")] == {"table": "items", "source": "shop"}
    assert results[("p", "customers")] == "CUSTOMERS!"
    assert {a.source for a in attempts if a.step_id == "d"} == {"shop"}


def test_custom_step_with_unimportable_callable_fails_its_step() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    doc = workflow({"id": "c", "type": "custom", "config": {"callable": "tests.nowhere:nothing"}})
    rec, steps, _ = execute(registry, doc)
    assert rec.status is RunStatus.FAILED and "Cannot import" in (steps[0].reason or "")


def test_custom_step_naming_a_callable_outside_the_allow_list_fails_without_running_it() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    doc = workflow({"id": "c", "type": "custom", "config": {"callable": "sys:exit"}})
    rec, steps, _ = execute(registry, doc)
    assert rec.status is RunStatus.FAILED
    assert "callable 'sys:exit' is not allowed; allowed: tests:*" in (steps[0].reason or "")


def test_skip_condition_that_cannot_be_evaluated_fails_the_step() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    doc = workflow({"id": "c", "type": "noop", "skip_if": {"callable": "tests.nowhere:nothing"}})
    rec, steps, _ = execute(registry, doc)
    assert rec.status is RunStatus.FAILED and steps[0].status is RunStatus.FAILED
    assert "Cannot import callable 'tests.nowhere:nothing'" in (steps[0].reason or "")


def test_skip_condition_by_callable() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    doc = workflow(
        {
            "id": "c",
            "type": "noop",
            "skip_if": [{"callable": "tests.orchestration.helpers:skip_on_weekend"}],
        }
    )
    _, steps, _ = execute(registry, doc, weekend=True)
    assert steps[0].status is RunStatus.SKIPPED and steps[0].reason == "skip_if"
    _, steps, _ = execute(registry, doc, weekend=False)
    assert steps[0].status is RunStatus.COMPLETED


def test_sleep_and_noop_fan_out_from_config() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    doc = workflow(
        {"id": "s", "type": "sleep", "config": {"seconds": "20ms", "tasks": ["x", "y"]}},
        {"id": "n", "type": "noop", "depends_on": ["s"], "config": {"tasks": 3}},
    )
    rec, _, attempts = execute(registry, doc)
    assert rec.status is RunStatus.COMPLETED
    assert sorted((a.step_id, a.task_key) for a in attempts) == [
        ("n", "0"), ("n", "1"), ("n", "2"), ("s", "x"), ("s", "y")]  # fmt: skip


async def list_then_break(ctx: StepContext) -> AsyncIterator[str]:
    yield "first"
    raise ConnectionError("catalog went away")


def test_failed_listing_fails_the_step_but_keeps_what_was_listed() -> None:
    registry = StepTypeRegistry.default(entry_point_plugins=False, allowed_modules=("tests",))
    registry.register(
        "discover", lambda ctx: StepPlan(run=describe_key, tasks=list_then_break(ctx)), replace=True
    )
    rec, steps, attempts = execute(registry, workflow({"id": "d", "type": "discover"}))
    assert rec.status is RunStatus.FAILED
    assert "listing tasks failed: ConnectionError" in (steps[0].reason or "")
    assert [(a.task_key, a.status) for a in attempts] == [("first", RunStatus.COMPLETED)]


async def describe_key(ctx: TaskContext) -> str:
    return ctx.task_key
