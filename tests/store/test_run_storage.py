"""SQL run storage: the run storage contract on SQLite and PostgreSQL, the schema, writers on
several servers, a responsive event loop, and crash recovery through a real store."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sounding.domain.orchestration import EventKind, RunEvent, RunStatus, TaskKey
from sounding.domain.timestamps import format_timestamp
from sounding.errors import ConflictError, NotFoundError
from sounding.orchestration import Engine
from sounding.orchestration.storage import RunStorage
from sounding.store import migrations, tables_orchestration
from sounding.store.db import Database
from sounding.store.run_storage import SqlRunStorage
from sounding.store.tables import metadata
from tests.orchestration.helpers import Probe, run
from tests.orchestration.storage_contract import T0, RunStorageContract, attempt, execution
from tests.orchestration.test_recovery import DOC, CrashingStorage, completed_keys

ORCHESTRATION_TABLES = {
    t.name for t in vars(tables_orchestration).values() if isinstance(t, sa.Table)
}


def open_store(url: str) -> Database:
    db = Database.from_url(url)
    migrations.upgrade(db.engine)
    return db


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh store on each backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = open_store(store_url)
    yield database
    database.dispose()


class TestSqliteRunStorage(RunStorageContract):
    @pytest.fixture
    def storage(self, sqlite_url: str) -> Iterator[RunStorage]:
        database = open_store(sqlite_url)
        yield SqlRunStorage(database)
        database.dispose()


@pytest.mark.postgres
class TestPostgresRunStorage(RunStorageContract):
    @pytest.fixture
    def storage(self, postgres_url: str) -> Iterator[RunStorage]:
        database = open_store(postgres_url)
        yield SqlRunStorage(database)
        database.dispose()


def test_migration_creates_exactly_the_declared_tables(db: Database) -> None:
    """The orchestration_0001 revision and tables_orchestration.py agree (no drift)."""
    assert {"executions", "task_attempts", "schedule_ticks"} <= ORCHESTRATION_TABLES

    def ours(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return (name if type_ == "table" else obj.table.name) in ORCHESTRATION_TABLES

    opts = {"include_object": ours, "compare_type": True}
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []


def test_records_outlive_the_process(store_url: str) -> None:
    first = open_store(store_url)
    run(SqlRunStorage(first).create_execution(execution()))
    run(SqlRunStorage(first).start_task_attempt(attempt()))
    first.dispose()
    second = open_store(store_url)
    try:
        assert run(SqlRunStorage(second).get_execution("e1")) == execution()
        assert [a.key for a in run(SqlRunStorage(second).list_task_attempts("e1"))] == [
            TaskKey("e1", "a", "t1", 1)
        ]
    finally:
        second.dispose()


def test_two_servers_finishing_one_attempt_record_it_once(store_url: str) -> None:
    servers = [open_store(store_url) for _ in range(2)]
    try:
        a, b = (SqlRunStorage(s) for s in servers)
        run(a.create_execution(execution()))
        run(a.start_task_attempt(attempt()))
        key = TaskKey("e1", "a", "t1", 1)

        async def race() -> list[bool]:
            finishes = [
                s.finish_task_attempt(key, status=RunStatus.COMPLETED, finished_at=T0, result=i)
                for i, s in enumerate([a, b] * 4)
            ]
            return list(await asyncio.gather(*finishes))

        assert sorted(run(race())) == [False] * 7 + [True]
        (stored,) = run(b.list_task_attempts("e1"))
        assert stored.status is RunStatus.COMPLETED and stored.result in range(8)
    finally:
        for s in servers:
            s.dispose()


def test_a_result_that_is_not_plain_json_is_kept_as_text(db: Database) -> None:
    storage = SqlRunStorage(db)
    run(storage.create_execution(execution()))
    run(storage.start_task_attempt(attempt()))
    key = TaskKey("e1", "a", "t1", 1)
    result = {"at": T0, "rows": (1, 2)}
    run(storage.finish_task_attempt(key, status=RunStatus.COMPLETED, finished_at=T0, result=result))
    (stored,) = run(storage.list_task_attempts("e1"))
    assert stored.status is RunStatus.COMPLETED
    assert stored.result == {"at": format_timestamp(T0), "rows": [1, 2]}  # the one form


def test_event_seqs_count_per_execution_across_servers(store_url: str) -> None:
    servers = [open_store(store_url) for _ in range(2)]
    try:
        a, b = (SqlRunStorage(s) for s in servers)
        run(a.create_execution(execution()))

        async def append_many() -> list[int]:
            events = [RunEvent("e1", EventKind.PROGRESS, data={"i": i}) for i in range(12)]
            appends = [s.append_event(e) for s, e in zip([a, b] * 6, events, strict=True)]
            return list(await asyncio.gather(*appends))

        assert sorted(run(append_many())) == list(range(1, 13))
        assert [e.seq for e in run(b.list_events("e1", after=10))] == [11, 12]
    finally:
        for s in servers:
            s.dispose()


def test_event_loop_keeps_running_while_storage_waits_for_the_writer(sqlite_url: str) -> None:
    database = open_store(sqlite_url)
    storage = SqlRunStorage(database)
    holding, released = threading.Event(), threading.Event()

    def hold_the_writer() -> None:
        with database.write():
            holding.set()
            released.wait(5)

    async def main() -> int:
        holder = threading.Thread(target=hold_the_writer)
        holder.start()
        assert holding.wait(5)
        ticks = 0
        create = asyncio.ensure_future(storage.create_execution(execution()))
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            ticks += 1
        assert not create.done()  # still waiting for the writer, without blocking the loop
        released.set()
        await create
        holder.join()
        return ticks

    try:
        assert run(main()) >= 10
        assert run(storage.get_execution("e1")).id == "e1"
    finally:
        released.set()
        database.dispose()


def test_writes_committed_in_one_group_each_get_their_own_outcome(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the writer is busy, writes queue and are then committed as one group (starts,
    finishes and events as one statement each). Writes of the group that fail for their own
    reason (a key taken, an attempt never started, an outcome changed, an unknown execution, a
    compare-and-set lost) fail alone with their usual error; the rest of the group is
    committed, exactly once."""
    storage = SqlRunStorage(db)
    run(storage.create_execution(execution()))
    run(storage.start_task_attempt(attempt(key="done")))
    done = TaskKey("e1", "a", "done", 1)
    run(storage.finish_task_attempt(done, status=RunStatus.FAILED, finished_at=T0, error="x"))
    run(storage.start_task_attempt(attempt(key="same")))
    same = TaskKey("e1", "a", "same", 1)
    run(storage.finish_task_attempt(same, status=RunStatus.COMPLETED, finished_at=T0))
    for i in range(10):
        run(storage.start_task_attempt(attempt(key=f"f{i}")))
    holding, released = threading.Event(), threading.Event()
    groups: list[int] = []
    commit = storage._commit

    def counted(group: list[Any]) -> None:
        groups.append(len(group))
        commit(group)

    monkeypatch.setattr(storage, "_commit", counted)

    def hold_the_writer() -> None:
        with db.write():
            holding.set()
            released.wait(5)

    async def main() -> list[Any]:
        holder = threading.Thread(target=hold_the_writer)
        holder.start()
        assert holding.wait(5)
        first = asyncio.ensure_future(storage.start_task_attempt(attempt(key="first")))
        await asyncio.sleep(0.05)  # the first write waits for the writer, the rest queue
        writes: list[Any] = [storage.start_task_attempt(attempt(key=f"s{i}")) for i in range(10)]
        writes += [
            storage.finish_task_attempt(
                TaskKey("e1", "a", f"f{i}", 1),
                status=RunStatus.COMPLETED,
                finished_at=T0,
                result={"i": i},
                error="password=hunter2" if i == 0 else None,
            )
            for i in range(10)
        ]
        writes += [storage.append_event(RunEvent("e1", EventKind.PROGRESS)) for _ in range(3)]
        writes += [
            storage.start_task_attempt(attempt(key="done")),  # 23: taken key
            storage.start_task_attempt(attempt(key="x", ex="nope")),  # 24: unknown execution
            storage.finish_task_attempt(  # 25: never started
                TaskKey("e1", "a", "never", 1), status=RunStatus.COMPLETED, finished_at=T0
            ),
            storage.finish_task_attempt(  # 26: failed already, not completed
                done, status=RunStatus.COMPLETED, finished_at=T0
            ),
            storage.finish_task_attempt(  # 27: the same outcome again: recorded once
                same, status=RunStatus.COMPLETED, finished_at=T0
            ),
            storage.append_event(RunEvent("nope", EventKind.PROGRESS)),  # 28: unknown
            storage.update_execution(  # 29: compare-and-set lost
                execution(status=RunStatus.COMPLETED), expected=RunStatus.RUNNING
            ),
        ]
        gathered = asyncio.gather(*writes, return_exceptions=True)
        await asyncio.sleep(0.05)
        released.set()
        await first
        holder.join()
        return list(await gathered)

    try:
        out = run(main())
    finally:
        released.set()
    assert groups == [1, 30]  # the first write alone, then all the others in one group
    assert out[:10] == [None] * 10
    assert out[10:20] == [True] * 10
    assert sorted(out[20:23]) == [1, 2, 3]
    assert isinstance(out[23], ConflictError) and "started already" in str(out[23])
    assert isinstance(out[24], NotFoundError)
    assert isinstance(out[25], NotFoundError)
    assert isinstance(out[26], ConflictError) and "failed already" in str(out[26])
    assert out[27] is False
    assert isinstance(out[28], NotFoundError)
    assert isinstance(out[29], ConflictError)
    stored = {a.task_key: a for a in run(storage.list_task_attempts("e1"))}
    assert {f"s{i}" for i in range(10)} | {"first"} <= set(stored)
    assert all(stored[f"f{i}"].status is RunStatus.COMPLETED for i in range(10))
    assert [stored[f"f{i}"].result for i in range(10)] == [{"i": i} for i in range(10)]
    assert stored["f0"].error is not None and "hunter2" not in stored["f0"].error  # redacted
    assert stored["done"].status is RunStatus.FAILED and stored["done"].error == "x"
    assert len(run(storage.list_task_attempts("e1"))) == 23  # nothing written twice
    assert [e.seq for e in run(storage.list_events("e1"))] == [1, 2, 3]
    assert run(storage.get_execution("e1")).status is RunStatus.PENDING


# --- crash recovery through a real store -------------------------------------------------


@pytest.mark.parametrize("crash_after", [2, 15, 40, 70])
def test_new_engine_on_the_same_store_resumes_without_duplicates(
    store_url: str, crash_after: int
) -> None:
    probe = Probe()
    old_db = open_store(store_url)
    try:
        run(_run_until_crash(SqlRunStorage(old_db), probe, crash_after))
    finally:
        old_db.dispose()  # the old process is gone: its loop, threads and connections
    before = run_on(store_url, lambda s: s.list_task_attempts("e1"))
    done_before = completed_keys(before)
    calls_before = Counter(probe.calls)

    new_db = open_store(store_url)
    try:
        storage = SqlRunStorage(new_db)
        run(_resume(storage, probe))
        after = run(storage.list_task_attempts("e1"))
        events = run(storage.list_events("e1"))
        steps = run(storage.get_steps("e1"))
    finally:
        new_db.dispose()
    per_task = Counter((a.step_id, a.task_key) for a in after if a.status is RunStatus.COMPLETED)
    assert set(per_task.values()) == {1}  # exactly one result per task, no duplicates
    assert set(per_task) == {("discover", str(i)) for i in range(12)} | {
        ("profile", str(i)) for i in range(12)} | {("report", "*")}  # fmt: skip
    for key in done_before:  # finished before the crash: not run again
        assert probe.calls[key] == calls_before[key], key
    interrupted = [a for a in after if a.error_type == "Interrupted"]
    assert all(a.status is RunStatus.CANCELLED and not a.final for a in interrupted)
    assert {s.status for s in steps} == {RunStatus.COMPLETED}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def _run_until_crash(inner: SqlRunStorage, probe: Probe, crash_after: int) -> None:
    crashing = CrashingStorage(inner, crash_after)  # type: ignore[arg-type]
    old = Engine(crashing, registry=probe.registry())
    await old.start()
    submit = asyncio.ensure_future(old.submit(DOC, execution_id="e1"))
    async with asyncio.timeout(15):
        while not crashing.crashed.is_set() and (
            (await inner.list_executions()) == []
            or (await inner.get_execution("e1")).status is not RunStatus.COMPLETED
        ):
            await asyncio.sleep(0.005)
    await old.shutdown()  # abandon: nothing more is written
    submit.cancel()
    await asyncio.gather(submit, return_exceptions=True)


async def _resume(storage: SqlRunStorage, probe: Probe) -> None:
    new = Engine(storage, registry=probe.registry())
    resumed = await new.start()
    rec = await new.wait("e1", timeout=15)
    await new.shutdown()
    assert rec.status is RunStatus.COMPLETED, (resumed, rec)


def run_on(url: str, call: Any) -> Any:
    database = Database.from_url(url)
    try:
        return run(call(SqlRunStorage(database)))
    finally:
        database.dispose()
