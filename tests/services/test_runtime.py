"""The application runtime (``services.context.Context``): reading starts no thread, ``start``
starts the server's background parts and ``stop`` ends every thread it started."""

from __future__ import annotations

import threading
import time
from typing import Any

from sounding.services import workflows

FLOW = """
name: nightly
schedule: {interval: 1h}
steps:
  - id: a
    type: noop
  - id: b
    type: sleep
    depends_on: [a]
    config: {seconds: 0}
"""


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def _settled(before: set[threading.Thread], timeout: float = 10.0) -> set[threading.Thread]:
    """Threads alive now that were not before (waiting a moment for joins to finish)."""
    deadline = time.monotonic() + timeout
    extra = _threads() - before
    while extra and time.monotonic() < deadline:
        time.sleep(0.05)
        extra = {t for t in _threads() - before if t.is_alive()}
    return extra


def test_applying_and_listing_workflows_starts_no_thread(ctx: Any, operator: Any) -> None:
    before = _threads()
    applied = workflows.apply_workflow(ctx, operator, FLOW)
    assert applied.steps == ("a", "b") and applied.changed
    assert [w.name for w in workflows.list_workflows(ctx, operator)] == ["nightly"]
    assert workflows.get_workflow(ctx, operator, "nightly").schedule == {"interval": "1h"}
    assert "discover" in ctx.step_types.names()  # the scan stages are known without an engine
    assert workflows.list_executions(ctx, operator) == []
    assert _threads() == before
    assert ctx.running_engine is None and ctx.scheduler is None


def test_an_unknown_step_type_is_refused_without_an_engine(ctx: Any, operator: Any) -> None:
    import pytest

    from sounding.errors import InvalidInputError

    before = _threads()
    with pytest.raises(InvalidInputError, match="teleport"):
        workflows.apply_workflow(
            ctx, operator, {"name": "bad", "steps": [{"id": "x", "type": "teleport"}]}
        )
    assert _threads() == before


def test_start_runs_the_server_parts_and_stop_ends_every_thread(ctx: Any, operator: Any) -> None:
    before = _threads()
    ctx.start()
    ctx.start()  # idempotent: one engine, one scheduler
    started = {t.name for t in _threads() - before}
    assert {"sounding-engine", "sounding-usage-flush", "sounding-retention"} <= started
    assert ctx.scheduler is not None and ctx.scheduler.running
    workflows.apply_workflow(ctx, operator, FLOW)
    run = workflows.execute(ctx, operator, "nightly")
    assert workflows.wait(ctx, run.id, timeout=30).status == "completed"
    ctx.stop()
    assert _settled(before) == set()
    assert ctx.running_engine is None and ctx.scheduler is None and ctx.scan_hooks == []
    # the store stayed open: the execution reads back without starting the engine again
    done = workflows.get_execution(ctx, operator, run.id)
    assert done.status == "completed" and [s.status for s in done.steps] == [
        "completed",
        "completed",
    ]
    assert [e.id for e in workflows.list_executions(ctx, operator)] == [run.id]
    assert workflows.events_since(ctx, run.id)  # its history, read from the store
    assert _settled(before) == set() and ctx.running_engine is None
    # a part used again starts again
    again = workflows.execute(ctx, operator, "nightly")
    assert workflows.wait(ctx, again.id, timeout=30).status == "completed"
    assert ctx.running_engine is not None


def test_counting_a_view_outside_a_server_starts_no_thread(ctx: Any) -> None:
    from sounding.features.usage.records import UsageKind
    from sounding.features.usage.service import recorder

    before = _threads()
    recorder(ctx).add_use(1, UsageKind.VIEW, "ann")
    assert recorder(ctx).pending == 1
    assert _threads() == before  # flushed when the context stops, not by a thread of its own


def test_stopping_the_engine_ends_every_task_left_on_its_loop(ctx: Any) -> None:
    """A task still pending when the engine's loop closed was destroyed at a later garbage
    collection, in whatever code ran then ("Task was destroyed but it is pending", an
    ignored exception from SqlRunStorage._flush that failed an unrelated test)."""
    import asyncio

    host = ctx.engine  # started on first use

    async def spawn() -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(asyncio.Event().wait())

    left = host.call(spawn())
    host.stop()
    assert left.done() and left.cancelled()
    assert host.loop.is_closed()
