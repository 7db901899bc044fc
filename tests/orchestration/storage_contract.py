"""The run storage contract: every ``RunStorage`` implementation must pass these tests.

Use it by subclassing with a ``storage`` fixture that returns a fresh, empty storage::

    class TestSqlRunStorage(RunStorageContract):
        @pytest.fixture
        def storage(self, tmp_path):
            return SqlRunStorage(make_engine(tmp_path))

(The SQL storage lives in ``sounding.store``; the tests only speak the protocol.)
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sounding.domain.orchestration import (
    EventKind,
    ExecutionRecord,
    RunEvent,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
    TaskKey,
)
from sounding.errors import ConflictError, NotFoundError
from sounding.orchestration.storage import (
    EventLog,
    ExecutionStorage,
    RunStorage,
    StepStorage,
    TaskAttemptStorage,
)
from tests.orchestration.helpers import run

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
SPEC = {"name": "wf", "steps": [{"id": "a", "type": "noop", "config": {"ü": [1, 2.5, None]}}]}


def execution(ident: str = "e1", workflow: str = "wf", **kw: object) -> ExecutionRecord:
    return ExecutionRecord(ident, workflow, SPEC, params={"p": 1}, created_at=T0, **kw)  # type: ignore[arg-type]


def attempt(step: str = "a", key: str = "t1", n: int = 1, ex: str = "e1") -> TaskAttemptRecord:
    return TaskAttemptRecord(ex, step, key, n, source="shop", started_at=T0)


class RunStorageContract:
    @pytest.fixture
    def storage(self) -> RunStorage:
        raise NotImplementedError("subclasses provide a fresh storage")

    # -- protocol --

    def test_satisfies_every_protocol(self, storage: RunStorage) -> None:
        for proto in (ExecutionStorage, StepStorage, TaskAttemptStorage, EventLog, RunStorage):
            assert isinstance(storage, proto), proto.__name__

    # -- executions --

    def test_execution_round_trips_with_json_spec_and_aware_times(
        self, storage: RunStorage
    ) -> None:
        run(storage.create_execution(execution()))
        got = run(storage.get_execution("e1"))
        assert got == execution()
        assert got.created_at.tzinfo is not None and got.created_at == T0

    def test_duplicate_and_unknown_executions(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        with pytest.raises(ConflictError):
            run(storage.create_execution(execution()))
        with pytest.raises(NotFoundError):
            run(storage.get_execution("nope"))

    def test_returned_records_are_copies(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        got = run(storage.get_execution("e1"))
        got.status = RunStatus.FAILED
        got.spec["name"] = "changed"
        again = run(storage.get_execution("e1"))
        assert again.status is RunStatus.PENDING and again.spec["name"] == "wf"

    def test_list_filters_by_status_and_workflow_newest_first(self, storage: RunStorage) -> None:
        for i, wf in enumerate(["a", "b", "a"]):
            run(storage.create_execution(execution(f"e{i}", wf)))
        rec = run(storage.get_execution("e1"))
        rec.status = RunStatus.INITIALIZING
        run(storage.update_execution(rec, expected=RunStatus.PENDING))
        ids = [r.id for r in run(storage.list_executions())]
        assert ids == ["e2", "e1", "e0"]
        pending = run(storage.list_executions(statuses=[RunStatus.PENDING]))
        assert [r.id for r in pending] == ["e2", "e0"]
        assert [r.id for r in run(storage.list_executions(workflow="a", limit=1))] == ["e2"]

    def test_update_execution_is_compare_and_set(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        rec = replace(execution(), status=RunStatus.INITIALIZING, started_at=T0, error="x")
        run(storage.update_execution(rec, expected=RunStatus.PENDING))
        with pytest.raises(ConflictError):
            run(storage.update_execution(rec, expected=RunStatus.PENDING))
        got = run(storage.get_execution("e1"))
        assert (got.status, got.started_at, got.error) == (RunStatus.INITIALIZING, T0, "x")
        with pytest.raises(NotFoundError):
            run(storage.update_execution(execution("nope"), expected=RunStatus.PENDING))

    # -- steps --

    def test_steps_round_trip_in_insertion_order(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.add_steps([StepRecord("e1", "z"), StepRecord("e1", "a")]))
        assert [s.step_id for s in run(storage.get_steps("e1"))] == ["z", "a"]
        assert run(storage.get_steps("other")) == []

    def test_duplicate_step_inserts_nothing(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.add_steps([StepRecord("e1", "a")]))
        with pytest.raises(ConflictError):
            run(storage.add_steps([StepRecord("e1", "b"), StepRecord("e1", "a")]))
        assert [s.step_id for s in run(storage.get_steps("e1"))] == ["a"]

    def test_update_step_is_compare_and_set(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.add_steps([StepRecord("e1", "a")]))
        rec = StepRecord("e1", "a", RunStatus.RUNNING, 10, 4, 1, T0, None, "because")
        run(storage.update_step(rec, expected=RunStatus.PENDING))
        assert run(storage.get_steps("e1")) == [rec]
        with pytest.raises(ConflictError):
            run(storage.update_step(rec, expected=RunStatus.PENDING))
        with pytest.raises(NotFoundError):
            run(storage.update_step(StepRecord("e1", "zz"), expected=RunStatus.PENDING))

    # -- task attempts --

    def test_attempt_key_is_unique(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.start_task_attempt(attempt()))
        with pytest.raises(ConflictError):
            run(storage.start_task_attempt(attempt()))
        run(storage.start_task_attempt(attempt(n=2)))
        assert [a.attempt for a in run(storage.list_task_attempts("e1"))] == [1, 2]

    def test_finishing_is_idempotent_and_never_changes_outcome(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.start_task_attempt(attempt()))
        key = TaskKey("e1", "a", "t1", 1)
        end = T0 + timedelta(seconds=2)
        result = {"rows": 3, "cols": ["a", "ü"], "ratio": 0.5}
        first = run(
            storage.finish_task_attempt(
                key, status=RunStatus.COMPLETED, finished_at=end, result=result
            )
        )
        again = run(
            storage.finish_task_attempt(
                key, status=RunStatus.COMPLETED, finished_at=end, result=result
            )
        )
        assert (first, again) == (True, False)
        with pytest.raises(ConflictError):
            run(storage.finish_task_attempt(key, status=RunStatus.FAILED, finished_at=end))
        (got,) = run(storage.list_task_attempts("e1"))
        assert (got.status, got.result, got.finished_at, got.final) == (
            RunStatus.COMPLETED, result, end, True)  # fmt: skip
        with pytest.raises(NotFoundError):
            run(
                storage.finish_task_attempt(
                    TaskKey("e1", "a", "t9", 1), status=RunStatus.COMPLETED, finished_at=end
                )
            )

    def test_concurrent_duplicate_finishes_record_once(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.start_task_attempt(attempt()))
        key = TaskKey("e1", "a", "t1", 1)

        async def both() -> list[bool]:
            finish = storage.finish_task_attempt
            return list(await asyncio.gather(
                finish(key, status=RunStatus.COMPLETED, finished_at=T0, result=1),
                finish(key, status=RunStatus.COMPLETED, finished_at=T0, result=1),
            ))  # fmt: skip

        assert sorted(run(both())) == [False, True]

    def test_failed_attempt_keeps_error_and_final_flag(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.start_task_attempt(attempt()))
        run(storage.finish_task_attempt(
            TaskKey("e1", "a", "t1", 1), status=RunStatus.FAILED, finished_at=T0,
            error="ValueError: boom", error_type="ValueError", final=False,
        ))  # fmt: skip
        (got,) = run(storage.list_task_attempts("e1"))
        assert (got.status, got.error, got.error_type, got.final, got.source) == (
            RunStatus.FAILED, "ValueError: boom", "ValueError", False, "shop")  # fmt: skip

    def test_attempts_are_listed_by_step_key_attempt_and_filtered(
        self, storage: RunStorage
    ) -> None:
        run(storage.create_execution(execution()))
        run(storage.create_execution(execution("e2")))
        for rec in [attempt("b", "k1"), attempt("a", "k2", 2), attempt("a", "k2", 1),
                    attempt("a", "k1"), attempt("a", "k1", ex="e2")]:  # fmt: skip
            run(storage.start_task_attempt(rec))
        got = [(a.step_id, a.task_key, a.attempt) for a in run(storage.list_task_attempts("e1"))]
        assert got == [("a", "k1", 1), ("a", "k2", 1), ("a", "k2", 2), ("b", "k1", 1)]
        only_b = run(storage.list_task_attempts("e1", step_id="b"))
        assert [(a.step_id, a.task_key) for a in only_b] == [("b", "k1")]

    # -- event log --

    def test_event_log_is_append_only_and_pages_by_seq(self, storage: RunStorage) -> None:
        run(storage.create_execution(execution()))
        run(storage.create_execution(execution("e2")))
        seqs = []
        for i in range(5):
            ev = RunEvent("e1", EventKind.STEP_STATUS, step_id=f"s{i}", status=RunStatus.RUNNING,
                          data={"i": i, "ü": [True]}, at=T0)  # fmt: skip
            seqs.append(run(storage.append_event(ev)))
            run(storage.append_event(RunEvent("e2", EventKind.EXECUTION_STATUS, at=T0)))
        assert seqs == sorted(seqs) and len(set(seqs)) == 5
        events = run(storage.list_events("e1"))
        assert [e.seq for e in events] == seqs
        assert [e.data["i"] for e in events] == [0, 1, 2, 3, 4]
        assert events[0].status is RunStatus.RUNNING and events[0].at == T0
        assert events[0].kind is EventKind.STEP_STATUS and events[0].data["ü"] == [True]
        later = run(storage.list_events("e1", after=seqs[1], limit=2))
        assert [e.seq for e in later] == seqs[2:4]
