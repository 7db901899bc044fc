"""The execution monitor's bounded reads (``store/repos/run_views.py``) on SQLite and
PostgreSQL: pages of attempts newest first across statuses, by step, counts, the event tail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sounding.domain.orchestration import EventKind, RunEvent, RunStatus
from sounding.store import migrations
from sounding.store.db import Database
from sounding.store.repos import orchestration as runs
from sounding.store.repos import run_views
from tests.orchestration.storage_contract import attempt, execution


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    database = Database.from_url(url)
    migrations.upgrade(database.engine)
    yield database
    database.engine.dispose()


STATUS_OF = {0: RunStatus.FAILED, 1: RunStatus.RUNNING}  # i % 7; the rest completed


def _fill(db: Database) -> None:
    """e1: 70 attempts (10 failed, 10 running, 50 completed; step a then b) and 5 events;
    e2: one attempt that must never show up in e1's reads."""
    with db.write() as conn:
        runs.insert_execution(conn, execution("e1"))
        runs.insert_execution(conn, execution("e2"))
        for i in range(70):
            rec = attempt(step="a" if i < 35 else "b", key=f"k{i:02d}")
            rec.status = STATUS_OF.get(i % 7, RunStatus.COMPLETED)
            rec.result = {"n": i}
            runs.insert_attempt(conn, rec)
        runs.insert_attempt(conn, attempt(ex="e2", key="other"))
        for seq in range(1, 6):
            runs.insert_event(conn, RunEvent("e1", EventKind.STEP_STATUS, step_id="a"), seq)


def test_pages_counts_and_tail(db: Database) -> None:
    _fill(db)
    with db.read() as conn:
        counts = run_views.count_attempts(conn, "e1", None)
        assert counts == {"failed": 10, "running": 10, "completed": 50}
        assert run_views.count_attempts(conn, "e1", "b") == {
            "failed": 5, "running": 5, "completed": 25
        }  # fmt: skip

        def keys(**kw: object) -> list[str]:
            found = run_views.page_attempts(conn, "e1", **kw)  # type: ignore[arg-type]
            return [a.task_key for a in found]

        everything = [f"k{i:02d}" for i in reversed(range(70))]  # newest first
        assert keys(statuses=list(counts), step_id=None, limit=20, offset=0) == everything[:20]
        assert keys(statuses=list(counts), step_id=None, limit=20, offset=60) == everything[60:]
        failed = [k for k in everything if int(k[1:]) % 7 == 0]
        assert keys(statuses=["failed"], step_id=None, limit=4, offset=4) == failed[4:8]
        in_b = [k for k in everything if int(k[1:]) >= 35]
        assert keys(statuses=list(counts), step_id="b", limit=50, offset=0) == in_b
        assert keys(statuses=[], step_id=None, limit=5, offset=0) == []
        newest = run_views.page_attempts(
            conn, "e1", statuses=list(counts), step_id=None, limit=1, offset=0
        )
        assert newest[0].result == {"n": 69}  # the task table shows results
        latest = run_views.latest_attempts(conn, "e1", 3)
        assert [a.task_key for a in latest] == everything[:3]
        assert latest[0].result is None  # results are never read for the table
        tail = run_views.tail_events(conn, "e1", 2)
        assert [e.seq for e in tail] == [4, 5]


def test_pages_of_executions_newest_first(db: Database) -> None:
    _fill(db)
    with db.read() as conn:
        first = run_views.page_executions(conn, statuses=None, workflow=None, limit=1, offset=0)
        second = run_views.page_executions(conn, statuses=None, workflow=None, limit=1, offset=1)
        assert [r.id for r in first + second] == ["e2", "e1"]
        assert first[0].spec == {}  # lists do not read workflow documents
        none = run_views.page_executions(
            conn, statuses=[RunStatus.FAILED], workflow=None, limit=5, offset=0
        )
        assert none == []
