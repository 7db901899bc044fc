"""A failed execution is a catalog event however it was started: here through the services,
as the CLI runs a workflow (no server, no scheduler), so alert subscribers of the workflow
hear of CLI and API runs alike."""

from __future__ import annotations

from typing import Any

from sounding.services import events
from tests.services.test_insights import run_once


def test_a_failed_run_without_a_server_publishes_execution_failed(ctx: Any, operator: Any) -> None:
    with ctx.db.read() as conn:
        start = events.last_id(conn)
    broken = {
        "name": "broken",
        "steps": [
            {
                "id": "pick",
                "type": "custom",
                "config": {
                    "callable": "tests.services.test_insights:fail_every_third",
                    "tasks": [{"key": "3", "source": "shop"}],
                },
            }
        ],
    }
    failed = run_once(ctx, operator, broken, "broken")
    ok = run_once(ctx, operator, {"name": "fine", "steps": [{"id": "a", "type": "noop"}]}, "fine")
    assert (failed.status, ok.status) == ("failed", "completed")
    ctx.stop()  # what the CLI does once its run ended: the event is written by then
    with ctx.db.read() as conn:
        published = [e for e in events.read_after(conn, start, 100) if e.workflow]
    assert [(e.kind, e.workflow) for e in published] == [("execution_failed", "broken")]
    assert published[0].payload["execution_id"] == failed.id
    assert "broken failed" in published[0].title
