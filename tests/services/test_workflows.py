"""Workflows through the services: stored definitions, real scan steps, control, events."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from sounding.errors import NotFoundError, ValidationFailedError
from sounding.services import catalog, lineage, sources, workflows
from tests.factories import sqlite_source

SCAN = """
name: shop-nightly
strategy: graph_based
limits: {max_concurrent: 4, per_source: 2}
schedule: {cron: "0 3 * * *", timezone: Europe/Paris}
steps:
  - {id: discover, type: discover, config: {source: shop}}
  - {id: lineage, type: lineage, depends_on: discover, config: {source: shop}}
  - {id: done, type: noop, depends_on: [discover, lineage]}
"""


def test_apply_validates_and_versions(ctx: Any, operator: Any, tmp_path: Path) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    first = workflows.apply_workflow(ctx, operator, SCAN)
    assert (first.name, first.version, first.changed) == ("shop-nightly", 1, True)
    assert workflows.apply_workflow(ctx, operator, SCAN).changed is False
    second = workflows.apply_workflow(ctx, operator, SCAN.replace("per_source: 2", "per_source: 3"))
    assert second.version == 2
    with pytest.raises(ValidationFailedError) as bad:
        workflows.apply_workflow(
            ctx,
            operator,
            """
name: broken
steps:
  - {id: a, type: discover, depends_on: b}
  - {id: b, type: warp, depends_on: a}
""",
        )
    locs = {e["loc"] for e in bad.value.details["errors"]}
    assert "steps[1].type" in locs and any("depends_on" in loc or loc == "steps" for loc in locs)
    assert [w.name for w in workflows.list_workflows(ctx, operator)] == ["shop-nightly"]


def test_executing_a_workflow_scans_and_records_every_step(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    workflows.apply_workflow(ctx, operator, SCAN)
    started = workflows.execute(ctx, operator, "shop-nightly")
    done = workflows.wait(ctx, started.id, timeout=60)
    assert done.status == "completed", done
    detail = workflows.get_execution(ctx, operator, started.id)
    assert {s.id: s.status for s in detail.steps} == {
        "discover": "completed",
        "lineage": "completed",
        "done": "completed",
    }
    assert catalog.get_asset(ctx, operator, "urn:sounding:shop:main.orders").type == "table"
    up = lineage.lineage_graph(ctx, operator, "urn:sounding:shop:main.big_orders", "upstream")
    assert len(up.edges) == 2
    kinds = [e.kind.value for e in workflows.events_since(ctx, started.id)]
    assert "execution_status" in kinds and "step_status" in kinds
    listed = workflows.list_executions(ctx, operator, workflow="shop-nightly")
    assert [e.id for e in listed] == [started.id]


def test_pause_resume_cancel_and_retry(ctx: Any, operator: Any) -> None:
    workflows.apply_workflow(
        ctx,
        operator,
        """
name: slow
strategy: sequential
steps:
  - {id: a, type: sleep, config: {seconds: 0.3, tasks: 3}}
  - {id: b, type: noop, depends_on: a}
""",
    )
    run = workflows.execute(ctx, operator, "slow")
    paused = workflows.control(ctx, operator, run.id, "pause")
    assert paused.status == "paused"
    time.sleep(0.5)
    assert workflows.get_execution(ctx, operator, run.id).status == "paused"
    workflows.control(ctx, operator, run.id, "resume")
    assert workflows.wait(ctx, run.id, timeout=30).status == "completed"
    other = workflows.execute(ctx, operator, "slow")
    workflows.control(ctx, operator, other.id, "cancel")
    assert workflows.wait(ctx, other.id, timeout=30).status == "cancelled"
    workflows.control(ctx, operator, other.id, "retry")
    assert workflows.wait(ctx, other.id, timeout=30).status == "completed"
    with pytest.raises(NotFoundError):
        workflows.get_execution(ctx, operator, "nope")
