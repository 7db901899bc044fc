"""Retention over a real store (SQLite, and PostgreSQL with the ``postgres`` marker): what a
prune deletes, what it keeps, and that a dry run and a second prune change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.services import retention
from sounding.store.tables import assets, audit_log, scan_runs, sources
from sounding.store.tables_orchestration import (
    execution_events,
    execution_leases,
    executions,
    schedule_ticks,
    step_executions,
    task_attempts,
)
from sounding.testing.history import HistoryBatch, fill_history

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TASKS = 4


def _days(n: float) -> datetime:
    return NOW - timedelta(days=n)


def _build(ctx: Any) -> None:
    """Finished executions 200 days old (past both cutoffs), 60 days old (past the attempts
    one), 1 day old; running and paused ones started 300 days ago; a lease and a scan run on
    an old execution; audit entries, search queries and usage counts old and new."""
    fill_history(
        ctx.db.engine,
        [
            HistoryBatch("old-", 3, TASKS, _days(200), timedelta(hours=1)),
            HistoryBatch("mid-", 2, TASKS, _days(60), timedelta(hours=1), status="failed"),
            HistoryBatch("new-", 2, TASKS, _days(1), timedelta(hours=1)),
            HistoryBatch("run-", 1, TASKS, _days(300), status="running"),
            HistoryBatch("pau-", 1, TASKS, _days(300), status="paused"),
        ],
    )
    with ctx.db.write() as conn:
        old = conn.execute(sa.select(executions.c.id).where(executions.c.id.like("old-%")))
        first_old = sorted(old.scalars())[0]
        conn.execute(
            sa.insert(execution_leases).values(
                execution_id=first_old,
                owner_id="gone",
                epoch=1,
                expires_at=_days(200),
                acquired_at=_days(200),
            )
        )
        source = conn.execute(
            sa.insert(sources).values(
                name="s",
                kind="sqlite",
                url_encrypted="x",
                url_redacted="x",
                options={},
                created_at=_days(300),
                updated_at=_days(300),
            )
        ).inserted_primary_key[0]
        conn.execute(
            sa.insert(scan_runs).values(
                source_id=source,
                kind="discovery",
                status="completed",
                created_at=_days(200),
                objects_total=0,
                objects_done=0,
                report={},
                execution_id=first_old,
            )
        )
        asset = conn.execute(
            sa.insert(assets).values(
                source_id=source,
                urn="urn:t",
                type="table",
                name="t",
                qualified_name="t",
                tags=[],
                custom_properties={},
                first_seen=_days(400),
                last_seen=_days(1),
                updated_at=_days(1),
            )
        ).inserted_primary_key[0]
        from sounding.features.usage.tables import search_queries, usage_daily

        for day in (date(2025, 1, 1), NOW.date()):
            conn.execute(
                sa.insert(usage_daily).values(asset_id=asset, day=day, kind="view", count=3)
            )
        for at in (_days(400), _days(300), _days(250)):
            conn.execute(sa.insert(schedule_ticks).values(workflow="w", tick_at=at, claimed_at=at))
        for at in (_days(400), _days(2)):
            conn.execute(sa.insert(search_queries).values(query="q", result_count=1, at=at))
            conn.execute(sa.insert(audit_log).values(at=at, actor="a", action="x", details={}))


def _counts(ctx: Any) -> dict[str, int]:
    from sounding.features.usage.tables import search_queries, usage_daily

    tables = (
        executions,
        step_executions,
        task_attempts,
        execution_events,
        execution_leases,
        search_queries,
        usage_daily,
        audit_log,
    )
    with ctx.db.read() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
            for t in tables
        }


def _deleted(report: Any) -> dict[str, dict[str, int]]:
    return {k.kind: {t.table: t.rows for t in k.tables} for k in report.kinds}


@pytest.fixture
def store(any_ctx: Any) -> Any:
    _build(any_ctx)
    return any_ctx


EXPECTED = {
    # the 60- and 200-day-old executions' attempts and events (1 start + tasks + 1 end)
    "attempts": {"task_attempts": 5 * TASKS, "execution_events": 5 * (TASKS + 2)},
    # the 200-day-old executions (their attempts went with the attempts kind)
    "executions": {
        "task_attempts": 0,
        "execution_events": 0,
        "step_executions": 3,
        "executions": 3,
        "schedule_ticks": 2,  # of 3 old ticks, the workflow's latest stays
    },
    "usage": {"usage_daily": 1, "usage_users": 0, "search_queries": 1},
    "audit": {},  # never, by default
    "alerts": {"deliveries": 0, "alert_notifications": 0, "catalog_events": 0},
}


def test_dry_run_counts_and_changes_nothing(store: Any) -> None:
    before = _counts(store)
    report = retention.prune(store, now=NOW, dry_run=True)
    assert report.dry_run
    assert _deleted(report) == EXPECTED
    assert _counts(store) == before
    cutoffs = {k.kind: k.cutoff for k in report.kinds}
    assert cutoffs["attempts"] == NOW - timedelta(days=30)
    assert cutoffs["executions"] == NOW - timedelta(days=180)
    assert cutoffs["audit"] is None


def test_prune_deletes_exactly_the_old_rows_and_keeps_running_ones(store: Any) -> None:
    before = _counts(store)
    report = retention.prune(store, now=NOW)
    assert _deleted(report) == EXPECTED
    after = _counts(store)
    assert before["task_attempts"] - after["task_attempts"] == 5 * TASKS
    assert after["execution_leases"] == 0  # went with its execution
    with store.db.read() as conn:
        left = set(conn.execute(sa.select(executions.c.id)).scalars())
        with_attempts = set(
            conn.execute(sa.select(task_attempts.c.execution_id).distinct()).scalars()
        )
        scan = conn.execute(sa.select(scan_runs.c.execution_id)).scalar_one()
        ticks = conn.execute(sa.select(schedule_ticks.c.tick_at)).scalars().all()
    assert ticks == [_days(250)]
    assert not any(x.startswith("old-") for x in left)
    # mid-age executions are kept (with their steps), without attempts
    assert {x[:4] for x in left} == {"mid-", "new-", "run-", "pau-"}
    assert {x[:4] for x in with_attempts} == {"new-", "run-", "pau-"}
    assert scan is None  # the scan run stays, no longer naming a deleted execution
    again = retention.prune(store, now=NOW)
    assert again.rows == 0
    assert _counts(store) == after


def test_audit_is_pruned_when_set_and_the_prune_is_audited(store: Any) -> None:
    store.settings = store.settings.model_copy(
        update={"retention_audit": "30d", "retention_batch_size": 10}
    )
    report = retention.prune(store, now=NOW)
    assert _deleted(report)["audit"] == {"audit_log": 1}
    assert report.batches >= 4  # 20 attempts in batches of at most 10, and more
    with store.db.read() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.details)).all()
    actions = [r.action for r in rows]
    assert actions == ["x", "retention.prune"]
    assert rows[1].details["deleted"]["executions"]["executions"] == 3


def test_never_keeps_everything(store: Any) -> None:
    store.settings = store.settings.model_copy(
        update={f"retention_{k}": "never" for k in ("attempts", "executions", "usage", "alerts")}
    )
    before = _counts(store)
    report = retention.prune(store, now=NOW)
    assert report.rows == 0
    assert all(k.cutoff is None for k in report.kinds)
    assert _counts(store) == before


def test_executions_take_their_history_when_attempts_are_kept(store: Any) -> None:
    store.settings = store.settings.model_copy(update={"retention_attempts": "never"})
    report = retention.prune(store, now=NOW)
    deleted = _deleted(report)
    assert deleted["attempts"] == {}
    assert deleted["executions"] == {
        "task_attempts": 3 * TASKS,
        "execution_events": 3 * (TASKS + 2),
        "step_executions": 3,
        "executions": 3,
        "schedule_ticks": 2,
    }


def test_alerts_keep_what_is_still_to_be_told_or_sent(store: Any) -> None:
    """Events past the dispatcher's cursor and pending deliveries stay whatever their age;
    old notifications, told events and finished deliveries go."""
    from sounding.features.alerts.tables import alert_cursor, alert_notifications
    from sounding.store.tables_delivery import deliveries
    from sounding.store.tables_events import catalog_events

    with store.db.write() as conn:
        for i, age in ((1, 100), (2, 100), (3, 1)):
            conn.execute(
                sa.insert(catalog_events).values(
                    id=i, kind="quality_failed", title=f"e{i}", created_at=_days(age), payload={}
                )
            )
        # the dispatcher has told event 1 only
        conn.execute(sa.delete(alert_cursor))
        conn.execute(sa.insert(alert_cursor).values(name="dispatcher", event_id=1, updated_at=NOW))
        for event, age in ((1, 100), (3, 1)):
            conn.execute(
                sa.insert(alert_notifications).values(
                    user_name="ann",
                    event_id=event,
                    kind="quality_failed",
                    title="t",
                    reason="owner",
                    created_at=_days(age),
                )
            )
        for key, status, age in (
            ("a", "delivered", 100),
            ("b", "pending", 100),
            ("c", "failed", 1),
        ):
            conn.execute(
                sa.insert(deliveries).values(
                    channel="hook",
                    dedup_key=key,
                    subject="s",
                    body="b",
                    payload={},
                    status=status,
                    attempts=1,
                    next_attempt_at=_days(age),
                    created_at=_days(age),
                    updated_at=_days(age),
                )
            )
    report = retention.prune(store, now=NOW)
    assert _deleted(report)["alerts"] == {
        "deliveries": 1,
        "alert_notifications": 1,
        "catalog_events": 1,
    }
    with store.db.read() as conn:
        events_left = sorted(conn.execute(sa.select(catalog_events.c.id)).scalars())
        keys_left = sorted(conn.execute(sa.select(deliveries.c.dedup_key)).scalars())
    assert events_left == [2, 3]  # 2 is old but not yet told
    assert keys_left == ["b", "c"]  # the old pending one is still to be sent
