"""Crash recovery: a new engine on the same storage finishes what a dead one left.

A crash is simulated by a storage that stops answering after a number of writes (the process
died: nothing more reaches storage), after which the old engine is abandoned and a new engine
is started on the underlying storage.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from sounding.domain.orchestration import RunStatus
from sounding.orchestration import Engine, InMemoryRunStorage
from tests.orchestration.helpers import Probe, engine, run, workflow

WRITES = {
    "create_execution", "update_execution", "add_steps", "update_step", "start_task_attempt",
    "finish_task_attempt", "append_event",
}  # fmt: skip


class CrashingStorage:
    """Forwards to ``inner`` until ``crash_after`` writes; then every call hangs forever."""

    def __init__(self, inner: InMemoryRunStorage, crash_after: int) -> None:
        self.inner = inner
        self.crash_after = crash_after
        self.writes = 0
        self.crashed = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if name in WRITES and not self.crashed.is_set():
                self.writes += 1
                if self.writes > self.crash_after:
                    self.crashed.set()
            if self.crashed.is_set():
                await asyncio.Event().wait()  # the process is gone
            return await target(*args, **kwargs)

        return call


DOC = workflow(
    {"id": "discover", "type": "probe", "config": {"tasks": 12, "seconds": 0.004}},
    {"id": "profile", "type": "probe", "depends_on": ["discover"],
     "config": {"per_object": True, "seconds": 0.004}},
    {"id": "report", "type": "probe", "depends_on": ["profile"]},
    strategy="pipeline",
    limits={"max_concurrent": 4},
)  # fmt: skip


def completed_keys(attempts: list[Any]) -> set[tuple[str, str]]:
    return {(a.step_id, a.task_key) for a in attempts if a.status is RunStatus.COMPLETED}


@pytest.mark.parametrize("crash_after", [2, 6, 15, 30, 50, 70, 73])
def test_new_engine_resumes_without_rerunning_finished_tasks(crash_after: int) -> None:
    inner = InMemoryRunStorage()
    probe = Probe()

    async def main() -> None:
        crashing = CrashingStorage(inner, crash_after)
        old = Engine(crashing, registry=probe.registry())  # type: ignore[arg-type]
        await old.start()
        submit = asyncio.ensure_future(old.submit(DOC, execution_id="e1"))
        async with asyncio.timeout(5):
            while not crashing.crashed.is_set() and (
                (await inner.list_executions()) == []
                or (await inner.get_execution("e1")).status is not RunStatus.COMPLETED
            ):
                await asyncio.sleep(0.001)
        await old.shutdown()  # abandon: nothing more is written
        submit.cancel()
        await asyncio.gather(submit, return_exceptions=True)

        before = await inner.list_task_attempts("e1")
        done_before = completed_keys(before)
        calls_before = Counter(probe.calls)

        new = Engine(inner, registry=probe.registry())
        resumed = await new.start()
        rec = await new.wait("e1", timeout=5)
        await new.shutdown()
        assert rec.status is RunStatus.COMPLETED, (resumed, rec)

        after = await inner.list_task_attempts("e1")
        per_task = Counter(
            (a.step_id, a.task_key) for a in after if a.status is RunStatus.COMPLETED
        )
        assert set(per_task.values()) == {1}  # exactly one result per task, no duplicates
        assert set(per_task) == {("discover", str(i)) for i in range(12)} | {
            ("profile", str(i)) for i in range(12)} | {("report", "*")}  # fmt: skip
        for key in done_before:  # finished before the crash: not run again
            assert probe.calls[key] == calls_before[key], key
        interrupted = [a for a in after if a.error_type == "Interrupted"]
        assert all(a.status is RunStatus.CANCELLED and not a.final for a in interrupted)
        statuses = {s.step_id: s.status for s in await inner.get_steps("e1")}
        assert set(statuses.values()) == {RunStatus.COMPLETED}

    run(main())


def test_interrupted_task_is_retried_without_using_its_retry_budget() -> None:
    inner = InMemoryRunStorage()
    probe = Probe()
    doc = workflow({"id": "a", "type": "probe", "config": {"tasks": 2}})

    async def main() -> None:
        old = engine(probe, inner)
        await old.start()
        probe.gate = asyncio.Event()
        await old.submit(doc, execution_id="e1")
        while probe.running < 2:
            await asyncio.sleep(0.001)
        await old.shutdown()  # both attempts were running
        probe.gate = None
        new = engine(probe, inner)
        assert await new.start() == ["e1"]
        assert (await new.wait("e1", timeout=5)).status is RunStatus.COMPLETED
        await new.shutdown()
        attempts = await inner.list_task_attempts("e1")
        assert [(a.task_key, a.attempt, a.status) for a in attempts] == [
            ("0", 1, RunStatus.CANCELLED), ("0", 2, RunStatus.COMPLETED),
            ("1", 1, RunStatus.CANCELLED), ("1", 2, RunStatus.COMPLETED),
        ]  # fmt: skip

    run(main())


def test_paused_execution_stays_paused_after_restart() -> None:
    inner = InMemoryRunStorage()
    probe = Probe()
    doc = workflow({"id": "a", "type": "probe", "config": {"tasks": 6, "seconds": 0.02}},
                   limits={"max_concurrent": 1})  # fmt: skip

    async def main() -> None:
        old = engine(probe, inner)
        await old.start()
        eid = await old.submit(doc)
        while not probe.spans:
            await asyncio.sleep(0.001)
        await old.pause(eid)
        await old.shutdown(grace=1)
        started = len(probe.spans)
        new = engine(probe, inner)
        await new.start()
        await asyncio.sleep(0.1)
        assert len(probe.spans) == started
        assert (await inner.get_execution(eid)).status is RunStatus.PAUSED
        await new.resume(eid)
        assert (await new.wait(eid, timeout=5)).status is RunStatus.COMPLETED
        await new.shutdown()

    run(main())
