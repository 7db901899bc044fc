"""``health.runtime_health``: what the administration page shows, as typed records, read from
the engine only when one runs (never starting one), with the scheduler's lag."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.errors import PermissionDeniedError
from sounding.services import health, workflows
from sounding.store.repos import workflows as workflow_repo

BUSY = {
    "name": "busy",
    "limits": {"per_source": 1},
    "steps": [
        {
            "id": "read",
            "type": "sleep",
            "config": {"seconds": 0.4, "tasks": [{"key": k, "source": "shop"} for k in "abcd"]},
        }
    ],
}


def test_reading_health_never_starts_the_engine(ctx: Any, operator: Any) -> None:
    found = health.runtime_health(ctx, operator)
    assert ctx.running_engine is None  # still nothing runs
    assert not found.engine_running and found.executor is None
    assert found.running_tasks is None and found.queued is None and found.sources == []
    assert found.status == "degraded" and "does not run" in found.problems[0]
    assert found.store_reachable and found.store_backend == "sqlite"
    for role in (Role.VIEWER, Role.STEWARD):
        with pytest.raises(PermissionDeniedError):
            health.runtime_health(ctx, Principal(role.value, role))


def test_health_shows_the_running_engine_its_queue_and_the_load_per_source(
    ctx: Any, operator: Any
) -> None:
    workflows.apply_workflow(ctx, operator, BUSY)
    started = workflows.execute(ctx, operator, "busy")  # this starts the engine
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = health.runtime_health(ctx, operator)
        if found.running_tasks == 1 and (found.queued or 0) >= 2:
            break
        time.sleep(0.02)
    assert found.engine_running and found.status == "ok", found.problems
    assert found.executor is not None and found.executor.started
    assert found.executor.name == "local" and found.executor.workers
    (shop,) = found.sources
    assert (shop.source, shop.running) == ("shop", 1) and shop.queued >= 2
    (run,) = found.executions
    assert run.id == started.id and run.workflow == "busy" and run.running == 1
    workflows.control(ctx, operator, started.id, "cancel")
    assert workflows.wait(ctx, started.id, timeout=30).status == "cancelled"
    after = health.runtime_health(ctx, operator)
    assert after.running_tasks == 0 and after.executions == [] and after.sources == []


def test_scheduler_lag_is_how_late_the_most_overdue_tick_is(ctx: Any, operator: Any) -> None:
    workflows.apply_workflow(
        ctx,
        operator,
        {"name": "often", "schedule": {"interval": "15m"}, "steps": [{"id": "a", "type": "noop"}]},
    )
    fresh = health.runtime_health(ctx, operator)
    assert fresh.scheduler.lag_seconds == 0.0 and not fresh.scheduler.running
    (tick,) = fresh.scheduler.ticks
    assert tick.workflow == "often" and not tick.due
    with ctx.db.write() as conn:
        workflow_repo.claim_tick(conn, "often", datetime.now(UTC) - timedelta(hours=1))
    late = health.runtime_health(ctx, operator)
    assert 45 * 60 - 5 < late.scheduler.lag_seconds < 45 * 60 + 60  # due 45 minutes ago
    assert any("overdue" in p and "often" in p for p in late.problems)
