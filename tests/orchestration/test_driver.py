"""The driver against a storage whose every write yields to the event loop for a random moment,
as the SQL run storage does (its writes run in a thread): in-memory storage never suspends, so
only this shows that writes reach storage in the order the core decided them."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sounding.domain.orchestration import (
    EventKind,
    ExecutionRecord,
    RunEvent,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
    TaskKey,
)
from sounding.orchestration import InMemoryRunStorage
from tests.orchestration.helpers import Probe, engine, run, workflow

RS = RunStatus


class JitteryStorage(InMemoryRunStorage):
    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)

    async def _yield(self) -> None:
        await asyncio.sleep(self.rng.random() * 0.003)

    async def create_execution(self, record: ExecutionRecord) -> None:
        await self._yield()
        await super().create_execution(record)

    async def update_execution(self, record: ExecutionRecord, *, expected: RunStatus) -> None:
        await self._yield()
        await super().update_execution(record, expected=expected)

    async def add_steps(self, records: Sequence[StepRecord]) -> None:
        await self._yield()
        await super().add_steps(records)

    async def update_step(self, record: StepRecord, *, expected: RunStatus) -> None:
        await self._yield()
        await super().update_step(record, expected=expected)

    async def start_task_attempt(self, record: TaskAttemptRecord) -> None:
        await self._yield()
        await super().start_task_attempt(record)

    async def finish_task_attempt(
        self, key: TaskKey, *, status: RunStatus, finished_at: datetime, **kw: Any
    ) -> bool:
        await self._yield()
        return await super().finish_task_attempt(key, status=status, finished_at=finished_at, **kw)

    async def append_event(self, event: RunEvent) -> int:
        await self._yield()
        return await super().append_event(event)


DOC = workflow(
    {"id": "a", "type": "probe", "config": {"tasks": 12, "fail": ["3"], "fail_times": 1},
     "retry": {"attempts": 2, "backoff": {"initial": 0}}},
    {"id": "b", "type": "probe", "depends_on": ["a"],
     "config": {"per_object": True, "fail": ["5"]}},
    {"id": "c", "type": "probe", "depends_on": ["b"]},
    {"id": "d", "type": "probe", "depends_on": ["b"], "run_if": "on_failure"},
    {"id": "e", "type": "probe", "config": {"tasks": 4}},
    limits={"max_concurrent": 3},
)  # fmt: skip


def test_writes_reach_a_slow_storage_in_decision_order() -> None:
    for seed in range(3):

        async def main(
            storage: JitteryStorage,
        ) -> tuple[ExecutionRecord, list[RunEvent], list[StepRecord]]:
            async with engine(Probe(), storage) as eng:
                eid = await eng.submit(DOC)
                record = await eng.wait(eid, timeout=30)
                return record, await storage.list_events(eid), await storage.get_steps(eid)

        record, events, steps = run(main(JitteryStorage(seed)))
        assert record.status is RS.FAILED and record.error == "step(s) failed: b"
        assert {s.step_id: s.status for s in steps} == {
            "a": RS.COMPLETED, "b": RS.FAILED, "c": RS.SKIPPED, "d": RS.COMPLETED,
            "e": RS.COMPLETED,
        }  # fmt: skip
        execution = [e.status for e in events if e.kind is EventKind.EXECUTION_STATUS]
        assert execution == [RS.INITIALIZING, RS.RUNNING, RS.FAILED]
        assert events[-1].kind is EventKind.EXECUTION_STATUS  # nothing is written after the end
        statuses = [(e.step_id, e.status) for e in events if e.kind is EventKind.STEP_STATUS]
        for sid in "abcde":  # each step's statuses in the order they happen, none lost
            seen = [
                e.status for e in events if e.kind is EventKind.STEP_STATUS and e.step_id == sid
            ]
            want = {
                "c": [RS.SKIPPED],
                "b": [RS.INITIALIZING, RS.RUNNING, RS.FAILED],
            }.get(sid, [RS.INITIALIZING, RS.RUNNING, RS.COMPLETED])
            assert seen == want, (seed, sid, seen)
        # a step ends before anything that waited for its end is decided
        assert statuses.index(("b", RS.FAILED)) < statuses.index(("c", RS.SKIPPED))
        assert statuses.index(("b", RS.FAILED)) < statuses.index(("d", RS.INITIALIZING))
        retried = [e for e in events if e.kind is EventKind.TASK_RETRYING]
        assert [(e.step_id, e.task_key) for e in retried] == [("a", "3")]
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
