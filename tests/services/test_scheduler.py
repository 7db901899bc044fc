"""The scheduler: due ticks, one execution per tick across servers, overlap, catch-up, triggers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.orchestration import EventKind, RunEvent, RunStatus
from sounding.errors import AuthenticationError, NotFoundError
from sounding.services import scans, scheduler, sources, workflows
from sounding.services.context import build_context
from sounding.store.repos import workflows as repo
from tests.conftest import make_settings
from tests.factories import execute, sqlite_source


def _flow(
    name: str,
    schedule: dict[str, Any] | None = None,
    seconds: float = 0.0,
    triggers: list[Any] | None = None,
) -> dict[str, Any]:
    step = (
        {"id": "work", "type": "sleep", "config": {"seconds": seconds}}
        if seconds
        else {"id": "work", "type": "noop"}
    )
    doc: dict[str, Any] = {"name": name, "steps": [step]}
    if schedule:
        doc["schedule"] = schedule
    if triggers:
        doc["triggers"] = triggers
    return doc


def _created(ctx: Any, name: str) -> datetime:
    with ctx.db.read() as conn:
        row = repo.get(conn, name)
    assert row is not None
    created: datetime = row["created_at"]
    return created


def _executions(ctx: Any, operator: Any, name: str) -> list[Any]:
    return workflows.list_executions(ctx, operator, workflow=name, limit=1000)


@contextmanager
def _busy_loop(sched: scheduler.Scheduler) -> Iterator[None]:
    """The engine's loop runs nothing else until the block ends (a loaded machine's loop)."""
    gate = threading.Event()
    sched.host.loop.call_soon_threadsafe(gate.wait, 10)
    try:
        yield
    finally:
        gate.set()


def _assert_never_started(ctx: Any, operator: Any, name: str) -> None:
    deadline = time.monotonic() + 1.5  # a wrongly started run shows within milliseconds
    while time.monotonic() < deadline and not _executions(ctx, operator, name):
        time.sleep(0.05)
    assert _executions(ctx, operator, name) == []


@pytest.fixture
def sched(ctx: Any) -> scheduler.Scheduler:
    s = scheduler.start(ctx)
    s.stop_polling()  # rounds are driven by the tests with chosen clock times
    return s


def test_interval_ticks_start_on_time(ctx: Any, operator: Any) -> None:
    scheduler.start(ctx)
    workflows.apply_workflow(ctx, operator, _flow("every-second", {"interval": "1s"}))
    time.sleep(2.6)
    runs = [e for e in _executions(ctx, operator, "every-second") if e.trigger == "schedule"]
    assert len(runs) >= 2
    with ctx.db.read() as conn:
        ticks = [t for t in repo.ticks(conn, "every-second") if t["execution_id"]]
    by_id = {e.id: e for e in runs}
    lags = [
        (by_id[t["execution_id"]].created_at - t["tick_at"]).total_seconds()
        for t in ticks
        if t["execution_id"] in by_id
    ]
    assert lags and max(lags) < 1.0


def test_one_execution_per_tick_across_two_servers(
    ctx: Any, operator: Any, tmp_path: Path, sched: scheduler.Scheduler
) -> None:
    other_ctx = build_context(
        make_settings(tmp_path / "home", None).model_copy(
            update={"secret_key": ctx.settings.secret_key}
        )
    )
    try:
        other = scheduler.start(other_ctx)
        other.stop_polling()
        workflows.apply_workflow(ctx, operator, _flow("nightly", {"cron": "*/5 * * * *"}))
        base = _created(ctx, "nightly")
        now = base.replace(second=0, microsecond=0) + timedelta(minutes=10)
        a = sched.host.call(sched.run_due(now))
        b = other.host.call(other.run_due(now))
        assert a + b == 1  # catchup=latest: the newest missed tick, started exactly once
        assert len(_executions(ctx, operator, "nightly")) == 1
    finally:
        other_ctx.close()


def test_catchup_policies(ctx: Any, operator: Any, sched: scheduler.Scheduler) -> None:
    for policy, expected in (("none", 0), ("latest", 1), ("all", 6)):
        name = f"hourly-{policy}"
        workflows.apply_workflow(
            ctx, operator, _flow(name, {"interval": "10m", "catchup": policy, "overlap": "allow"})
        )
        now = _created(ctx, name) + timedelta(minutes=65)
        assert sched.host.call(sched.run_due(now)) == expected, policy


def test_overlap_policies(ctx: Any, operator: Any, sched: scheduler.Scheduler) -> None:
    for policy in ("skip", "queue", "cancel_previous"):
        name = f"slow-{policy}"
        workflows.apply_workflow(
            ctx, operator, _flow(name, {"interval": "1m", "overlap": policy}, seconds=30)
        )
        base = _created(ctx, name)
        assert sched.host.call(sched.run_due(base + timedelta(seconds=61))) == 1
        second = sched.host.call(sched.run_due(base + timedelta(seconds=121)))
        runs = _executions(ctx, operator, name)
        if policy == "cancel_previous":
            assert second == 1 and len(runs) == 2
            assert workflows.wait(ctx, runs[-1].id, timeout=20).status == "cancelled"
        else:
            assert second == 0 and len(runs) == 1
        with ctx.db.read() as conn:
            claimed = len(repo.ticks(conn, name))
        assert claimed == {"skip": 2, "queue": 1, "cancel_previous": 2}[policy]
        for run in runs:
            if workflows.get_execution(ctx, operator, run.id).status == "running":
                workflows.control(ctx, operator, run.id, "cancel")
        with ctx.db.write() as conn:  # out of the way of the next policy's rounds
            repo.set_enabled(conn, name, False)


def test_workflow_source_and_webhook_triggers(
    ctx: Any, operator: Any, tmp_path: Path, sched: scheduler.Scheduler
) -> None:
    db = tmp_path / "shop.db"
    sources.add(ctx, operator, "shop", sqlite_source(db))
    workflows.apply_workflow(ctx, operator, _flow("upstream"))
    workflows.apply_workflow(
        ctx, operator, _flow("downstream", triggers=[{"type": "workflow", "workflow": "upstream"}])
    )
    workflows.apply_workflow(
        ctx, operator, _flow("on-change", triggers=[{"type": "source_changed", "source": "shop"}])
    )
    workflows.apply_workflow(
        ctx, operator, _flow("hooked", triggers=[{"type": "webhook", "secret": "s3cret"}])
    )
    run = workflows.execute(ctx, operator, "upstream")
    workflows.wait(ctx, run.id, timeout=20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _executions(ctx, operator, "downstream"):
        time.sleep(0.05)
    (down,) = _executions(ctx, operator, "downstream")
    assert down.trigger == "workflow:upstream"
    scans.run_scan(ctx, operator, "shop")  # first scan: everything is new
    scans.run_scan(ctx, operator, "shop")  # unchanged: no trigger
    execute(db, "ALTER TABLE orders ADD COLUMN note TEXT;")
    scans.run_scan(ctx, operator, "shop")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(_executions(ctx, operator, "on-change")) < 2:
        time.sleep(0.05)
    time.sleep(0.3)
    assert [e.trigger for e in _executions(ctx, operator, "on-change")] == [
        "source_changed:shop"
    ] * 2
    started = scheduler.webhook(ctx, "hooked", "s3cret")
    assert started.trigger == "webhook"
    with pytest.raises(AuthenticationError):
        scheduler.webhook(ctx, "hooked", "wrong")
    with pytest.raises(NotFoundError):
        scheduler.webhook(ctx, "upstream", "s3cret")


def test_a_workflow_applied_after_its_upstream_ended_is_not_started_by_it(
    ctx: Any, operator: Any, sched: scheduler.Scheduler
) -> None:
    """The same gap for a ``workflow`` trigger: its subscribers are read a hop or two after
    the upstream's end reaches the engine's loop, and a workflow applied meanwhile is not one
    of them."""
    workflows.apply_workflow(ctx, operator, _flow("upstream"))
    run = workflows.execute(ctx, operator, "upstream")
    workflows.wait(ctx, run.id, timeout=20)
    ended = RunEvent(run.id, EventKind.EXECUTION_STATUS, status=RunStatus.COMPLETED)
    with _busy_loop(sched):
        sched.host.loop.call_soon_threadsafe(sched._on_event, ended)  # after the busy part
        time.sleep(0.01)  # the clocks of the end and of the apply differ
        follows = {"type": "workflow", "workflow": "upstream"}
        workflows.apply_workflow(ctx, operator, _flow("later", triggers=[follows]))
    _assert_never_started(ctx, operator, "later")
    # the upstream's next end starts it
    run = workflows.execute(ctx, operator, "upstream")
    workflows.wait(ctx, run.id, timeout=20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _executions(ctx, operator, "later"):
        time.sleep(0.05)
    assert [e.trigger for e in _executions(ctx, operator, "later")] == ["workflow:upstream"]


def test_bad_schedule_policies_are_rejected(ctx: Any, operator: Any) -> None:
    from sounding.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError) as bad:
        workflows.apply_workflow(
            ctx, operator, _flow("x", {"interval": "1m", "overlap": "merge", "catchup": "some"})
        )
    assert {e["loc"] for e in bad.value.details["errors"]} == {
        "schedule.overlap",
        "schedule.catchup",
    }


def test_a_workflow_applied_after_a_scan_is_not_started_by_its_changes(
    ctx: Any, operator: Any, tmp_path: Path, sched: scheduler.Scheduler
) -> None:
    """Seen on a loaded CI machine: the engine's loop got to a scan's trigger only after a
    workflow subscribing to the source had been applied, and started it with that older
    scan's changes. The subscribers are the ones there when the scan ends."""
    sources.add(ctx, operator, "shop", sqlite_source(tmp_path / "shop.db"))
    with _busy_loop(sched):
        sched.on_scan({"id": 1, "source": "shop", "report": {"created": 3}})  # the scan ends
        workflows.apply_workflow(
            ctx, operator, _flow("later", triggers=[{"type": "source_changed", "source": "shop"}])
        )
    _assert_never_started(ctx, operator, "later")
