"""Execution leases in the store, on SQLite and PostgreSQL: the owner renews, a lapsed lease
is claimed by exactly one of several servers, the old owner then no longer owns it, control
requests wait on the lease for the owner, and a clean stop hands executions over at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.leases import ServerIdentity
from sounding.domain.orchestration import ExecutionRecord, RunStatus
from sounding.orchestration import Engine, EngineConfig
from sounding.store.db import Database
from sounding.store.run_leases import SqlLeases
from sounding.store.run_storage import SqlRunStorage
from tests.orchestration.storage_contract import T0
from tests.store.test_run_storage import open_store

LEASE = timedelta(seconds=5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    database = open_store(url)
    yield database
    database.dispose()


def _servers(leases: SqlLeases, n: int) -> list[str]:
    found = []
    for i in range(n):
        me = ServerIdentity(f"server-{i}", "host", 1000 + i)
        leases.register(me, T0)
        found.append(me.id)
    return found


def _execution(db: Database, execution_id: str, status: RunStatus = RunStatus.RUNNING) -> None:
    record = ExecutionRecord(execution_id, "w", {}, status=status, created_at=T0)
    asyncio.run(SqlRunStorage(db).create_execution(record))


def test_a_lapsed_lease_is_claimed_by_exactly_one_server(db: Database) -> None:
    leases = SqlLeases(db)
    a, *others = _servers(leases, 5)
    _execution(db, "e1")
    leases.acquire(a, "e1", T0, T0 + LEASE)
    now = T0 + timedelta(seconds=2)
    beat = leases.beat(others[0], now, now + LEASE, scan=True, stale_before=now - LEASE)
    assert beat.claimable == [] and beat.owned == {}  # A's lease still holds
    assert leases.beat(a, now, now + LEASE, scan=False, stale_before=now).owned == {"e1": None}

    later = now + LEASE + timedelta(seconds=1)  # A renewed at `now`, then died
    (found,) = leases.beat(others[0], later, later + LEASE, scan=True, stale_before=later).claimable
    assert (found.execution_id, found.owner_id) == ("e1", a)
    wins: list[str] = []
    barrier = threading.Barrier(len(others))

    def claim(me: str) -> None:
        barrier.wait()
        if leases.claim(me, found, later, later + LEASE, force=False):
            wins.append(me)

    threads = [threading.Thread(target=claim, args=(me,)) for me in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1  # exactly one winner
    assert leases.beat(a, later, later + LEASE, scan=False, stale_before=later).owned == {}
    owner = leases.beat(wins[0], later, later + LEASE, scan=False, stale_before=later)
    assert owner.owned == {"e1": None}


def test_requests_wait_on_the_lease_and_finished_executions_are_never_claimed(
    db: Database,
) -> None:
    leases = SqlLeases(db)
    a, b = _servers(leases, 2)
    _execution(db, "e1")
    _execution(db, "done", RunStatus.COMPLETED)
    leases.acquire(a, "e1", T0, T0 + LEASE)
    leases.acquire(a, "done", T0, T0 + LEASE)
    assert leases.request("e1", "pause") and not leases.request("unknown", "pause")
    assert leases.beat(a, T0, T0 + LEASE, scan=False, stale_before=T0).owned["e1"] == "pause"
    leases.clear_request("e1", "resume")  # not the request waiting: it stays
    assert leases.beat(a, T0, T0 + LEASE, scan=False, stale_before=T0).owned["e1"] == "pause"
    leases.clear_request("e1", "pause")
    assert leases.beat(a, T0, T0 + LEASE, scan=False, stale_before=T0).owned["e1"] is None
    later = T0 + 3 * LEASE
    found = leases.beat(b, later, later + LEASE, scan=True, stale_before=later).claimable
    assert [c.execution_id for c in found] == ["e1"]  # "done" ended: nobody resumes it


def test_a_clean_stop_hands_over_at_once_and_old_unleased_executions_are_claimable(
    db: Database,
) -> None:
    leases = SqlLeases(db)
    a, b = _servers(leases, 2)
    _execution(db, "e1")
    _execution(db, "legacy")  # made before leases existed (or by a server that died at once)
    leases.acquire(a, "e1", T0, T0 + LEASE)
    now = T0 + timedelta(seconds=1)
    assert leases.beat(b, now, now + LEASE, scan=True, stale_before=T0 - LEASE).claimable == []
    leases.stop(a, now)
    found = leases.beat(b, now, now + LEASE, scan=True, stale_before=now).claimable
    assert sorted((c.execution_id, c.epoch) for c in found) == [("e1", 1), ("legacy", None)]
    assert all(leases.claim(b, c, now, now + LEASE, force=False) for c in found)
    assert set(leases.beat(b, now, now + LEASE, scan=False, stale_before=now).owned) == {
        "e1",
        "legacy",
    }


def test_an_owner_that_lost_its_lease_stops_and_writes_nothing_more(tmp_path: Path) -> None:
    """Server B takes over an execution A runs (SQLite: a starting server claims every
    unfinished execution); on its next heartbeat A abandons it without writing anything, and
    B runs it to the end, every task completed once."""
    db = open_store(f"sqlite:///{tmp_path}/store.db")
    cfg = EngineConfig(lease_seconds=2.0, heartbeat_seconds=0.5)
    doc = {
        "name": "slow",
        "steps": [{"id": "work", "type": "sleep", "config": {"seconds": 2.0, "tasks": 2}}],
    }

    async def main() -> list[Any]:
        a = Engine(SqlRunStorage(db), config=cfg, leases=SqlLeases(db))
        b = Engine(SqlRunStorage(db), config=cfg, leases=SqlLeases(db))
        await a.start(recover=False)
        try:
            execution_id = await a.submit(doc)
            while len(await a.storage.list_task_attempts(execution_id)) < 2:
                await asyncio.sleep(0.02)
            assert a._keeper is not None
            a._keeper.stop()  # A stalls: no heartbeat until it is asked for one below
            assert await b.start(recover=True) == [execution_id]
            await asyncio.to_thread(a._keeper.beat_once)
            async with asyncio.timeout(5):  # A's tasks would run 2 s more: it drops them
                while a.get_run(execution_id) is not None:
                    await asyncio.sleep(0.02)
            record = await b.wait(execution_id, timeout=20)
            assert record.status is RunStatus.COMPLETED
            return await b.storage.list_task_attempts(execution_id)
        finally:
            await a.shutdown()
            await b.shutdown()

    try:
        attempts = asyncio.run(main())
    finally:
        db.dispose()
    by_task: dict[str, list[Any]] = {}
    for att in attempts:
        by_task.setdefault(att.task_key, []).append(att)
    assert len(by_task) == 2
    for tries in by_task.values():
        # A's attempt closed as interrupted by B's takeover (A's "stopped" record refused),
        # B's completed: one result per task
        assert [(t.attempt, t.status) for t in tries] == [
            (1, RunStatus.CANCELLED),
            (2, RunStatus.COMPLETED),
        ]
        assert tries[0].error_type == "Interrupted"
