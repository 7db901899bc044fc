"""Insights through the services, over history made by running real workflows."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.domain.auth import Principal, Role
from sounding.domain.insights import RecommendedChange
from sounding.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from sounding.features.insights import service as insights
from sounding.services import health, sources, templates, workflows
from sounding.store.repos import audit
from sounding.store.repos import workflows as workflow_repo
from sounding.store.tables import metadata
from tests.factories import sqlite_source

VIEWER = Principal("viewer", Role.VIEWER)


def fan(name: str, tasks: int, *, seconds: float = 0.02, strategy: str = "sequential") -> str:
    return f"""
name: {name}
strategy: {strategy}
steps:
  - {{id: setup, type: noop}}
  - {{id: work, type: sleep, depends_on: setup, config: {{seconds: {seconds}, tasks: {tasks}}}}}
"""


def run_once(ctx: Any, who: Any, document: str | dict[str, Any], name: str) -> dict[str, Any]:
    workflows.apply_workflow(ctx, who, document)
    started = workflows.execute(ctx, who, name)
    return workflows.wait(ctx, started.id, timeout=60)


def warm_up(ctx: Any, who: Any) -> None:
    """A first run pays one-off costs (threads, the store's first writes) that would blur the
    timings a test compares."""
    run_once(ctx, who, {"name": "warm-up", "steps": [{"id": "a", "type": "noop"}]}, "warm-up")


def fail_every_third(ctx: Any) -> str:
    if int(ctx.task_key) % 3 == 0:
        raise ValueError(f"task {ctx.task_key} is unlucky")
    return ctx.task_key


def test_forecasts_scale_with_task_counts_and_report_their_error(ctx: Any, operator: Any) -> None:
    warm_up(ctx, operator)
    for n in (2, 6, 4, 10, 8, 3, 5):  # 40 ms a task: a busy machine's overhead stays small
        assert run_once(ctx, operator, fan("fan", n, seconds=0.04), "fan").status == "completed"
    result = insights.forecasts(ctx, VIEWER, "fan", tasks=20)
    (item,) = result.items
    work = next(s.forecast for s in item.steps if s.step == "work")
    assert work is not None and item.execution is not None
    assert work.model == "linear" and work.runs == 7 and work.tasks == 20
    assert work.seconds_per_task >= 0.04  # each task sleeps 40 ms, one at a time
    assert work.seconds > 20 * 0.04
    assert work.loo_mape is not None and work.loo_mape < 0.5
    assert work.baseline_loo_mape is not None
    assert work.baseline_loo_mape > work.loo_mape  # the task count explains durations
    assert item.execution.runs == 7 and item.execution.tasks == 20
    at_latest = insights.forecasts(ctx, VIEWER, "fan").items[0]
    latest_work = next(s.forecast for s in at_latest.steps if s.step == "work")
    assert latest_work is not None and latest_work.tasks == 5
    assert result.running == []
    with pytest.raises(NotFoundError):
        insights.forecasts(ctx, VIEWER, "never")


def test_analytics_over_real_runs(any_ctx: Any, operator: Any) -> None:
    ctx = any_ctx
    for n in (3, 4):
        run_once(ctx, operator, fan("fan", n), "fan")
    flaky = {
        "name": "flaky",
        "steps": [
            {
                "id": "pick",
                "type": "custom",
                "config": {
                    "callable": "tests.services.test_insights:fail_every_third",
                    "tasks": [{"key": str(i), "source": "shop"} for i in range(6)],
                },
            }
        ],
    }
    assert run_once(ctx, operator, flaky, "flaky").status == "failed"
    result = insights.orchestration_analytics(ctx, VIEWER, days=3)
    overall = result.overall
    assert overall.executions == 3 and overall.by_status == {"completed": 2, "failed": 1}
    assert overall.success_rate == pytest.approx(2 / 3)
    assert overall.tasks_completed == (1 + 3) + (1 + 4) + 4 and overall.tasks_failed == 2
    assert overall.throughput is not None and overall.throughput > 0
    assert overall.p50_seconds is not None and overall.p95_seconds is not None
    assert overall.p95_seconds >= overall.p50_seconds > 0
    assert {w.workflow: w.success_rate for w in result.workflows} == {
        "fan": 1.0,
        "flaky": 0.0,
    }
    (shop,) = result.sources
    assert (shop.source, shop.attempts, shop.failed) == ("shop", 6, 2)
    assert shop.error_types == {"ValueError": 2}
    assert [t.executions for t in result.trend] == [0, 0, 3]
    with pytest.raises(InvalidInputError):
        insights.orchestration_analytics(ctx, VIEWER, days=0)


def test_a_slow_run_is_flagged_as_an_anomaly(ctx: Any, operator: Any) -> None:
    warm_up(ctx, operator)
    ids = [run_once(ctx, operator, fan("fan", 3), "fan").id for _ in range(6)]
    slow = run_once(ctx, operator, fan("fan", 3, seconds=0.25), "fan").id
    ids.append(run_once(ctx, operator, fan("fan", 3), "fan").id)
    found = insights.anomalies(ctx, VIEWER, days=1)
    flagged = {(a.kind, a.execution_id, a.step_id) for a in found.items}
    assert ("step_duration", slow, "work") in flagged
    assert not any(eid in ids for _, eid, _ in flagged)
    step = next(a for a in found.items if a.kind == "step_duration")
    assert step.value > 5 * step.expected and "slower" in step.message
    assert insights.anomalies(ctx, VIEWER, days=1, k=1000).items == []


RAISE = {
    "name": "spread",
    "strategy": "graph_based",
    "limits": {"per_source": 2},
    "steps": [
        {
            "id": "read",
            "type": "sleep",
            "config": {
                # long enough that a task started late on a loaded machine (parallel test
                # workers) still ran "at the limit" (mean concurrency >= 90 % of it)
                "seconds": 0.4,
                "tasks": [{"key": f"t{i}", "source": "shop"} for i in range(6)],
            },
        }
    ],
}


def test_apply_and_roll_back_a_concurrency_recommendation(any_ctx: Any, operator: Any) -> None:
    ctx = any_ctx
    warm_up(ctx, operator)
    for _ in range(3):
        assert run_once(ctx, operator, RAISE, "spread").status == "completed"
    found = insights.recommendations(ctx, VIEWER, "spread")
    (rec,) = found.items
    assert rec.kind == "raise_source_concurrency" and rec.applicable
    assert rec.change == RecommendedChange(field="limits.per_source", value=4, step=None)
    ev = rec.evidence
    assert ev["executions_at_limit_with_tasks_waiting"] == 3 and ev["peak_concurrency"] == 2
    with pytest.raises(PermissionDeniedError):
        insights.apply_recommendation(ctx, VIEWER, rec.id)

    action = insights.apply_recommendation(ctx, operator, rec.id)
    assert action.status == "applied" and action.previous == {"present": True, "value": 2}
    stored = workflows.get_workflow(ctx, operator, "spread")
    assert stored.spec["limits"] == {"per_source": 4} and stored.version == 2
    assert action.applied_version == 2
    # the old runs ran with other limits: the rule no longer fires on them
    assert insights.recommendations(ctx, VIEWER, "spread").items == []
    assert insights.recommendations(ctx, VIEWER).applied[0].recommendation_id == rec.id

    done = insights.rollback_recommendation(ctx, operator, rec.id)
    assert done.status == "rolled_back" and done.rolled_back_version == 3
    assert workflows.get_workflow(ctx, operator, "spread").spec["limits"] == {"per_source": 2}
    with pytest.raises(NotFoundError):
        insights.rollback_recommendation(ctx, operator, rec.id)
    with ctx.db.read() as conn:
        actions = [e["action"] for e in audit.list_entries(conn, 50, 0)[0]]
    assert "insight.apply" in actions and "insight.rollback" in actions

    # applied again, then edited by hand: a rollback would overwrite that edit, so it refuses
    insights.apply_recommendation(ctx, operator, rec.id)
    workflows.apply_workflow(ctx, operator, {**RAISE, "limits": {"per_source": 3}})
    with pytest.raises(ConflictError):
        insights.rollback_recommendation(ctx, operator, rec.id)
    with pytest.raises(NotFoundError):
        insights.apply_recommendation(ctx, operator, "nope")


def test_an_always_failing_step_is_advice_only(ctx: Any, operator: Any) -> None:
    broken = {
        "name": "broken",
        "steps": [{"id": "call", "type": "custom", "config": {"callable": "tests.no_such:thing"}}],
    }
    for _ in range(3):
        assert run_once(ctx, operator, broken, "broken").status == "failed"
    (rec,) = insights.recommendations(ctx, VIEWER, "broken").items
    assert rec.kind == "step_always_fails" and not rec.applicable
    assert rec.evidence["consecutive_failures"] == 3
    with pytest.raises(ConflictError):
        insights.apply_recommendation(ctx, operator, rec.id)


def test_incremental_classification_is_recommended_applied_and_acts(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    made = templates.instantiate_template(ctx, operator, "compliance-scan", {"source": "shop"})
    name = made.workflow.name
    assert name == "compliance-shop" and made.params["incremental"] is False
    runs = []
    for _ in range(3):
        started = workflows.execute(ctx, operator, name)
        assert workflows.wait(ctx, started.id, timeout=60).status == "completed"
        runs.append(workflows.get_execution(ctx, operator, started.id))
    assert [r.steps[1].tasks_total for r in runs] == [3, 3, 3]  # every object, each run
    (rec,) = insights.recommendations(ctx, VIEWER, name).items
    assert rec.kind == "incremental_classification"
    assert rec.evidence["median_unchanged_fraction"] == 1.0
    assert rec.evidence["objects_classified_per_run"] == [3, 3, 3]

    action = insights.apply_recommendation(ctx, operator, rec.id)
    assert action.previous == {"present": True, "value": False}
    started = workflows.execute(ctx, operator, name)
    assert workflows.wait(ctx, started.id, timeout=60).status == "completed"
    detail = workflows.get_execution(ctx, operator, started.id)
    assert detail.steps[1].tasks_total == 0  # nothing changed since the last run

    insights.rollback_recommendation(ctx, operator, rec.id)
    spec = workflows.get_workflow(ctx, operator, name).spec
    assert spec["steps"][1]["config"] == {"source": "shop", "incremental": False}


def test_templates_through_the_services(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    listed = {t.name: t for t in templates.list_templates(ctx, VIEWER)}
    assert set(listed) == {
        "data-discovery",
        "quality-assessment",
        "compliance-scan",
        "security-audit",
        "custom",
    }
    assert listed["custom"].required == ("name", "callable")
    shown = templates.get(ctx, VIEWER, "quality-assessment")
    assert "quality rules" in shown.description
    assessed = templates.instantiate_template(
        ctx, operator, "quality-assessment", {"source": "shop", "fail_on_error": True}
    ).workflow.spec
    assert [s["type"] for s in assessed["steps"]] == ["discover", "profile", "quality"]
    assert assessed["steps"][2]["config"] == {"source": "shop", "fail_on_error": True}
    checked = templates.instantiate_template(
        ctx,
        operator,
        "compliance-scan",
        {"source": "shop", "name": "pci-shop", "frameworks": ["pci_dss"]},
    ).workflow.spec
    assert [s["type"] for s in checked["steps"]] == ["discover", "classify", "compliance"]
    assert checked["steps"][2]["config"] == {"source": "shop", "frameworks": ["pci_dss"]}
    assert shown.parameters["properties"]["retries"]["default"] == 2
    with pytest.raises(NotFoundError):
        templates.get(ctx, VIEWER, "nope")
    with pytest.raises(PermissionDeniedError):
        templates.instantiate_template(ctx, VIEWER, "custom", {})
    with pytest.raises(ValidationFailedError) as bad:
        templates.instantiate_template(ctx, operator, "custom", {"name": "x", "tasks": 0})
    assert {e["loc"] for e in bad.value.details["errors"]} >= {"params", "params.tasks"}
    made = templates.instantiate_template(
        ctx,
        operator,
        "custom",
        {"name": "shout", "callable": "tests.orchestration.helpers:shout", "tasks": ["a", "b"]},
    )
    assert made.workflow.version == 1
    run = workflows.execute(ctx, operator, "shout")
    assert workflows.wait(ctx, run.id, timeout=30).status == "completed"


def test_health_shows_queue_running_tasks_and_per_source_load(ctx: Any, operator: Any) -> None:
    workflows.apply_workflow(
        ctx,
        operator,
        {
            "name": "busy",
            "limits": {"per_source": 1},
            "steps": [
                {
                    "id": "read",
                    "type": "sleep",
                    "config": {
                        "seconds": 0.4,
                        "tasks": [{"key": k, "source": "shop"} for k in "abcd"],
                    },
                }
            ],
        },
    )
    started = workflows.execute(ctx, operator, "busy")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        h = health.system_health(ctx, VIEWER)
        if h.running_tasks == 1 and h.queue.queued >= 2:
            break
        time.sleep(0.02)
    assert h.status == "ok" and h.store.reachable and h.executor.started
    (shop,) = h.sources
    assert shop.source == "shop" and shop.running == 1
    assert shop.execution_limits == {started.id: 1}
    assert [e.id for e in h.executions] == [started.id]
    while time.monotonic() < deadline:  # one task ended: the ETA follows the progress
        (eta,) = insights.forecasts(ctx, VIEWER).running
        if eta.steps[0].done >= 1:
            break
        time.sleep(0.05)
    assert eta.execution_id == started.id and eta.eta_seconds is not None and eta.eta_seconds > 0
    assert eta.steps[0].total == 4
    workflows.control(ctx, operator, started.id, "cancel")
    assert workflows.wait(ctx, started.id, timeout=30).status == "cancelled"
    assert health.system_health(ctx, VIEWER).running_tasks == 0


def test_health_reports_overdue_schedules_without_a_scheduler(ctx: Any, operator: Any) -> None:
    workflows.apply_workflow(
        ctx,
        operator,
        {"name": "often", "schedule": {"interval": "15m"}, "steps": [{"id": "a", "type": "noop"}]},
    )
    fresh = health.system_health(ctx, VIEWER)
    (tick,) = fresh.scheduler.next
    assert fresh.status == "ok" and not tick.due and not fresh.scheduler.running
    with ctx.db.write() as conn:
        workflow_repo.claim_tick(conn, "often", datetime.now(UTC) - timedelta(hours=1))
    late = health.system_health(ctx, VIEWER)
    assert late.status == "degraded" and "overdue" in late.problems[0]
    assert late.scheduler.next[0].overdue_seconds > 60 * 40


def test_insight_actions_table_matches_its_migration(ctx: Any) -> None:
    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) == "insight_actions"

    opts = {"include_object": ours, "compare_type": True}
    with ctx.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
