"""The Dask executor passes the executor contract on a real ``distributed.LocalCluster`` (two
worker processes), and an execution survives a worker killed mid-task."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.orchestration import RunStatus
from sounding.errors import InvalidInputError
from sounding.orchestration import Engine, Executor, InMemoryRunStorage, TaskCall
from sounding.orchestration.executors.dask import DaskExecutor
from tests.orchestration import dask_tasks
from tests.orchestration.executor_contract import ExecutorContract, async_double, ctx
from tests.orchestration.helpers import run

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


class TestDaskExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self, dask_cluster: Any) -> Executor:
        return DaskExecutor(dask_cluster.scheduler_address)


def test_reports_its_scheduler_and_workers(dask_cluster: Any) -> None:
    async def body() -> dict[str, Any]:
        ex = DaskExecutor(dask_cluster.scheduler_address)
        await ex.start()
        try:
            return await ex.describe()
        finally:
            await ex.shutdown()

    found = run(body())
    assert found == {
        "name": "dask",
        "scheduler": dask_cluster.scheduler_address,
        "workers": 2,
        "local_cluster": False,
    }


def test_unreachable_scheduler_is_a_clear_error() -> None:
    async def body() -> None:
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
            await DaskExecutor("tcp://127.0.0.1:1").start()

    with pytest.raises(InvalidInputError, match=r"Cannot reach the Dask scheduler"):
        run(body())


def _kill_when_marked(folder: Path, key: str, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(folder.glob(f"{key}.*"))
        if found:
            pid = int(found[0].suffix[1:])
            os.kill(pid, signal.SIGKILL)
            return pid
        time.sleep(0.02)
    raise AssertionError(f"task {key} never started")


def test_worker_killed_mid_task_execution_completes_results_recorded_once(
    dask_cluster: Any, tmp_path: Path
) -> None:
    doc = {
        "name": "killed",
        "steps": [
            {
                "id": "work",
                "type": "marked",
                "config": {"tasks": ["a", "b", "c"], "dir": str(tmp_path), "seconds": 1.5},
                "retry": {"attempts": 3, "backoff": {"initial": 0.1}},
            }
        ],
    }

    async def body() -> tuple[Any, list[Any], int]:
        executor = DaskExecutor(dask_cluster.scheduler_address)
        async with Engine(
            InMemoryRunStorage(), registry=dask_tasks.registry(), executor=executor
        ) as engine:
            eid = await engine.submit(doc)
            killed = await asyncio.to_thread(_kill_when_marked, tmp_path, "b")
            record = await engine.wait(eid, timeout=60)
            attempts = await engine.storage.list_task_attempts(eid)
        return record, attempts, killed

    record, attempts, killed = run(body(), timeout=90)
    assert record.status is RunStatus.COMPLETED
    completed = [a for a in attempts if a.status is RunStatus.COMPLETED]
    assert sorted(a.task_key for a in completed) == ["a", "b", "c"]  # each result once
    b = next(a for a in completed if a.task_key == "b")
    assert b.result["pid"] != killed  # finished by a live worker
    assert len(list(tmp_path.glob("b.*"))) == 2  # it really ran again after the kill


def test_lazy_executor_connects_once_on_the_first_task(dask_cluster: Any) -> None:
    async def body() -> tuple[bool, list[Any], int, dict[str, Any]]:
        ex = DaskExecutor(dask_cluster.scheduler_address, lazy=True)
        connects = 0
        real = ex._connect

        async def counted() -> None:
            nonlocal connects
            connects += 1
            await real()

        ex._connect = counted  # type: ignore[method-assign]
        await ex.start()
        idle = ex.connected
        try:
            calls = [ex.run(TaskCall(async_double, ctx(key))) for key in "abc"]
            results = await asyncio.gather(*calls)
            return idle, results, connects, await ex.describe()
        finally:
            await ex.shutdown()

    idle, results, connects, described = run(body())
    assert idle is False  # start() alone connects to nothing
    assert [r["key"] for r in results] == ["a", "b", "c"]
    assert connects == 1  # concurrent first tasks share one connection
    assert described["workers"] == 2
