"""The execution's decisions, driven directly: feed events to the pure core, check its effects.

No event loop, storage, executor or clock: the core is given a fixed clock and a seeded
random generator, so every test is deterministic and fails only if a decision changes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sounding.domain.orchestration import (
    EventKind,
    ExecutionRecord,
    RunStatus,
    StepRecord,
    TaskAttemptRecord,
)
from sounding.errors import ConflictError, InvalidInputError
from sounding.orchestration.core import (
    AppendEvent,
    AttemptAborted,
    AttemptEnded,
    AttemptRecorded,
    CancelRequested,
    CancelRetry,
    CancelSettled,
    ConsumeListing,
    Effect,
    Enqueue,
    EnsureSteps,
    ExecutionCore,
    FinishAttempt,
    Finished,
    ListingEnded,
    Outcome,
    PauseAdmission,
    PauseRequested,
    PlanAbandoned,
    PlanFailed,
    PlanStep,
    Progress,
    RerunRequested,
    ResumeRequested,
    RetryDue,
    ScheduleRetry,
    SetExecutionStatus,
    SetSourceCapacity,
    SetStepStatus,
    SignalCancel,
    SkipChecked,
    StartAttempt,
    Started,
    StepPlanned,
    TaskAdmitted,
    TaskListed,
    Warn,
    Withdraw,
)
from sounding.orchestration.parsing import parse_workflow
from sounding.orchestration.spec import TaskSpec
from sounding.orchestration.state import close_interrupted

RS = RunStatus
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make(
    steps: list[dict[str, Any]],
    *,
    records: list[StepRecord] | None = None,
    attempts: list[TaskAttemptRecord] | None = None,
    status: RunStatus = RS.PENDING,
    rerun: bool = False,
    started_at: datetime | None = None,
    **doc: Any,
) -> ExecutionCore:
    document = {"name": "wf", "steps": steps, **doc}
    spec = parse_workflow(document, step_types={"t"})
    record = ExecutionRecord(
        id="e", workflow="wf", spec=document, params={"full": True}, created_at=T0
    )
    record.status, record.started_at = status, started_at
    return ExecutionCore.from_records(
        record, spec, records or [], attempts or [], rerun=rerun,
        rng=random.Random(7), clock=lambda: T0,
    )  # fmt: skip


def step(sid: str, *deps: str, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "type": "t", "depends_on": list(deps), **extra}


def of(effects: list[Effect], cls: type) -> list[Any]:
    return [e for e in effects if isinstance(e, cls)]


def statuses(effects: list[Effect]) -> list[tuple[str, RunStatus]]:
    """Status changes in the order decided: ("" for the execution, else the step id)."""
    out = []
    for e in effects:
        if isinstance(e, SetExecutionStatus):
            out.append(("", e.record.status))
        elif isinstance(e, SetStepStatus):
            out.append((e.record.step_id, e.record.status))
    return out


def plan(core: ExecutionCore, sid: str, keys: list[str] | None) -> list[Effect]:
    """Let ``sid`` pass its skip check and plan ``keys`` (None: one task per upstream object)."""
    fx = core.handle(SkipChecked(sid, False))
    return fx + core.handle(StepPlanned(sid, tuple(keys) if keys is not None else None))


def run_task(
    core: ExecutionCore, sid: str, key: str, outcome: Outcome = Outcome.COMPLETED, **kw: Any
) -> list[Effect]:
    return core.handle(TaskAdmitted(sid, key)) + end(core, sid, key, outcome, **kw)


def end(core: ExecutionCore, sid: str, key: str, outcome: Outcome, **kw: Any) -> list[Effect]:
    """The running attempt ends (the core decides its record), then its record is stored."""
    fx = core.handle(AttemptEnded(sid, key, outcome, **kw))
    assert [type(e) for e in fx] == [FinishAttempt]  # nothing else before it is stored
    return fx + core.handle(AttemptRecorded(sid, key))


# -- starting and planning --


def test_a_fresh_execution_initialises_then_plans_only_its_root_steps() -> None:
    core = make([step("a"), step("b", "a"), step("c")])
    fx = core.handle(Started())
    assert statuses(fx) == [("", RS.INITIALIZING), ("", RS.RUNNING)]
    assert [type(e) for e in fx[:3]] == [SetExecutionStatus, EnsureSteps, SetExecutionStatus]
    assert {r.step_id for r in of(fx, EnsureSteps)[0].records} == {"a", "b", "c"}
    assert of(fx, PlanStep) == [PlanStep("a", check_skip=True), PlanStep("c", check_skip=True)]
    assert core.record.status is RS.RUNNING and core.record.started_at == T0


def test_planned_tasks_are_queued_with_their_priority_and_source() -> None:
    core = make([step("a", priority=3, config={"source": "db"}), step("b")])
    core.handle(Started())
    fx = plan(core, "a", None)  # a root step with tasks=None: its single task
    assert statuses(fx) == [("a", RS.INITIALIZING), ("a", RS.RUNNING)]
    assert of(fx, Enqueue) == [Enqueue("a", "*", 3, "db", None)]
    core.handle(SkipChecked("b", False))
    fx = core.handle(StepPlanned("b", (TaskSpec("x", source="other", priority=9), "y", "y")))
    assert of(fx, Enqueue) == [
        Enqueue("b", "x", 9, "other", None),
        Enqueue("b", "y", 0, None, None),
    ]
    assert len(of(fx, Warn)) == 1  # the duplicate key


def test_admission_starts_an_attempt_with_the_upstream_results_as_inputs() -> None:
    core = make([step("a"), step("b", "a")])
    core.handle(Started())
    plan(core, "a", ["x"])
    fx = run_task(core, "a", "x", value={"rows": 5})
    assert FinishAttempt("a", "x", 1, RS.COMPLETED, {"rows": 5}, None, None, True) == fx[1]
    assert statuses(fx) == [("a", RS.COMPLETED)]
    assert of(fx, PlanStep) == [PlanStep("b", check_skip=True)]
    # the step's status comes before what its end unblocks
    assert fx.index(of(fx, SetStepStatus)[0]) < fx.index(of(fx, PlanStep)[0])
    plan(core, "b", ["x"])
    assert core.handle(TaskAdmitted("b", "x")) == [
        StartAttempt("b", "x", 1, None, {"a": {"rows": 5}}, None)
    ]


def test_the_execution_completes_once_every_step_ended() -> None:
    core = make([step("a")])
    core.handle(Started())
    plan(core, "a", ["x", "y"])
    assert not of(run_task(core, "a", "x"), Finished)
    fx = run_task(core, "a", "y")
    assert statuses(fx) == [("a", RS.COMPLETED), ("", RS.COMPLETED)]
    assert fx[-1] == Finished(RS.COMPLETED)
    assert Progress("a", force=True) in fx
    assert core.record.finished_at == T0 and core.steps["a"].record.tasks_done == 2


def test_skip_if_and_a_failing_planner_end_the_step_without_tasks() -> None:
    core = make([step("a"), step("b"), step("c", "a")])
    core.handle(Started())
    fx = core.handle(SkipChecked("a", True))
    assert statuses(fx) == [("a", RS.SKIPPED)] and of(fx, PlanStep) == [PlanStep("c", True)]
    assert of(fx, SetStepStatus)[0].data["reason"] == "skip_if"
    fx = core.handle(PlanFailed("b", "TypeError: bad plan"))
    assert statuses(fx)[:2] == [("b", RS.INITIALIZING), ("b", RS.FAILED)]
    assert core.steps["b"].record.reason == "TypeError: bad plan"


def test_a_streamed_listing_adds_tasks_as_they_come_and_its_failure_fails_the_step() -> None:
    core = make([step("a")])
    core.handle(Started())
    core.handle(SkipChecked("a", False))
    fx = core.handle(StepPlanned("a", None, streaming=True))
    assert statuses(fx) == [("a", RS.RUNNING)] and fx[-1] == ConsumeListing("a")
    assert of(core.handle(TaskListed("a", "y")), Enqueue) == [Enqueue("a", "y", 0, None, None)]
    run_task(core, "a", "y")
    assert core.steps["a"].status is RS.RUNNING  # the listing has not ended
    fx = core.handle(ListingEnded("a", "OSError: gone"))
    assert statuses(fx)[0] == ("a", RS.FAILED)
    assert core.steps["a"].record.reason == "listing tasks failed: OSError: gone"


# -- retries and timeouts --


def test_a_failed_attempt_is_retried_with_back_off_until_the_policy_gives_up() -> None:
    retry = {"attempts": 3, "backoff": {"initial": 1, "factor": 2, "jitter": 0}}
    core = make([step("a", retry=retry)])
    core.handle(Started())
    plan(core, "a", ["x"])
    delays = []
    for attempt in (1, 2):
        fx = run_task(core, "a", "x", Outcome.RAISED, error=ValueError("boom"))
        fin = of(fx, FinishAttempt)[0]
        assert (fin.attempt, fin.status, fin.final) == (attempt, RS.FAILED, False)
        assert fin.error == "ValueError: boom" and fin.error_type == "ValueError"
        event = of(fx, AppendEvent)[0]
        assert event.kind is EventKind.TASK_RETRYING and event.data["attempt"] == attempt
        delays.append(of(fx, ScheduleRetry)[0].delay)
        assert core.steps["a"].tasks["x"].retry_wait
        assert of(core.handle(RetryDue("a", "x")), Enqueue) == [Enqueue("a", "x", 0, None, None)]
    assert delays == [1.0, 2.0]
    fx = run_task(core, "a", "x", Outcome.RAISED, error=ValueError("boom"))
    assert of(fx, FinishAttempt)[0].final and not of(fx, ScheduleRetry)
    assert [e.kind for e in of(fx, AppendEvent)] == [EventKind.TASK_FAILED]
    assert statuses(fx) == [("a", RS.FAILED), ("", RS.FAILED)]
    assert core.record.error == "step(s) failed: a"


def test_input_errors_and_non_retryable_errors_fail_at_once() -> None:
    core = make([step("a", retry={"attempts": 5, "backoff": {"initial": 0}})])
    core.handle(Started())
    plan(core, "a", ["x", "y", "z"])
    fx = run_task(core, "a", "x", Outcome.RAISED, error=InvalidInputError("bad"))
    assert of(fx, FinishAttempt)[0].final and not of(fx, ScheduleRetry)
    no_retry = RuntimeError("no")
    no_retry.retryable = False  # type: ignore[attr-defined]
    assert not of(run_task(core, "a", "y", Outcome.RAISED, error=no_retry), ScheduleRetry)
    assert of(run_task(core, "a", "z", Outcome.RAISED, error=OSError("io")), ScheduleRetry)


def test_a_timeout_fails_the_attempt_with_a_clear_error_and_is_retried() -> None:
    core = make([step("a", timeout="50ms", retry={"attempts": 2, "backoff": {"initial": 0}})])
    core.handle(Started())
    plan(core, "a", ["x"])
    fx = run_task(core, "a", "x", Outcome.TIMED_OUT, error=TimeoutError())
    fin = of(fx, FinishAttempt)[0]
    assert fin.error == "TimeoutError: Task timed out after 0.05s" and not fin.final
    assert of(fx, ScheduleRetry) == [ScheduleRetry("a", "x", 0.0)]
    core.handle(RetryDue("a", "x"))
    fx = run_task(core, "a", "x", Outcome.TIMED_OUT, error=TimeoutError("socket timed out"))
    assert of(fx, FinishAttempt)[0].error == "TimeoutError: socket timed out"
    assert statuses(fx)[0] == ("a", RS.FAILED)


def test_a_task_that_stops_on_its_cancel_signal_is_cancelled_not_failed() -> None:
    core = make([step("a", retry={"attempts": 3})])
    core.handle(Started())
    plan(core, "a", ["x"])
    fx = run_task(core, "a", "x", Outcome.CANCELLED, error=RuntimeError("stop"))
    fin = of(fx, FinishAttempt)[0]
    assert fin.status is RS.CANCELLED and fin.final and not of(fx, ScheduleRetry)
    assert statuses(fx) == [("a", RS.CANCELLED), ("", RS.FAILED)]


def test_restored_attempts_are_not_run_again_and_count_against_the_retry_budget() -> None:
    started = T0 - timedelta(minutes=5)

    def attempt(key: str, n: int, status: RunStatus, final: bool = True) -> TaskAttemptRecord:
        a = TaskAttemptRecord("e", "a", key, n, status=status, final=final)
        a.started_at = started + timedelta(seconds=n)
        return a

    history = [
        attempt("done", 1, RS.COMPLETED),
        attempt("once", 1, RS.FAILED, final=False),
        attempt("gave-up", 1, RS.FAILED),
    ]
    rec = StepRecord("e", "a", status=RS.RUNNING)
    core = make(
        [step("a", retry={"attempts": 2, "backoff": {"initial": 0}})],
        records=[rec], attempts=history, status=RS.RUNNING, started_at=started,
    )  # fmt: skip
    fx = core.handle(Started())
    assert of(fx, PlanStep) == [PlanStep("a", check_skip=False)]  # resumed: planned again
    fx = core.handle(StepPlanned("a", ("done", "once", "gave-up")))
    assert of(fx, Enqueue) == [Enqueue("a", "once", 0, None, None)]
    assert core.handle(TaskAdmitted("a", "once"))[0].attempt == 2
    fx = end(core, "a", "once", Outcome.RAISED, error=OSError("x"))
    assert of(fx, FinishAttempt)[0].final  # 2 failures: the budget of 2 attempts is spent
    assert statuses(fx) == [("a", RS.FAILED), ("", RS.FAILED)]


# -- dependencies --


def test_a_failure_skips_what_needs_success_and_starts_what_runs_on_failure() -> None:
    core = make(
        [
            step("a"),
            step("b", "a"),
            step("c", "b"),
            step("cleanup", "a", run_if="on_failure"),
            step("always", "a", run_if="always"),
        ]
    )
    core.handle(Started())
    plan(core, "a", ["x"])
    fx = run_task(core, "a", "x", Outcome.RAISED, error=ValueError("no"))
    assert statuses(fx) == [("a", RS.FAILED), ("b", RS.SKIPPED), ("c", RS.SKIPPED)]
    reasons = {e.record.step_id: e.data["reason"] for e in of(fx, SetStepStatus)}
    assert reasons["b"] == reasons["c"] == "upstream_failed"
    assert {p.step_id for p in of(fx, PlanStep)} == {"cleanup", "always"}


def test_on_failure_steps_are_skipped_when_nothing_failed() -> None:
    core = make([step("a"), step("cleanup", "a", run_if="on_failure")])
    core.handle(Started())
    plan(core, "a", ["x"])
    fx = run_task(core, "a", "x")
    assert statuses(fx) == [("a", RS.COMPLETED), ("cleanup", RS.SKIPPED), ("", RS.COMPLETED)]
    assert of(fx, SetStepStatus)[1].data["reason"] == "condition_not_met"


def test_pipeline_runs_each_object_downstream_as_soon_as_its_upstream_task_completed() -> None:
    core = make([step("a"), step("b", "a")], strategy="pipeline")
    core.handle(Started())
    fx = plan(core, "a", ["x", "y"])
    assert PlanStep("b", check_skip=True) in fx  # starts early, a is running
    plan(core, "b", None)  # one task per upstream object
    fx = run_task(core, "a", "x")
    assert of(fx, Enqueue) == [Enqueue("b", "x", 0, None, None)]  # before a ended
    fx = run_task(core, "a", "y", Outcome.RAISED, error=ValueError("no"))
    assert not of(fx, Enqueue)  # y failed upstream: dropped downstream
    fx = run_task(core, "b", "x")
    assert statuses(fx) == [("b", RS.COMPLETED), ("", RS.FAILED)]


# -- control: pause, resume, cancel --


def test_pause_stops_admission_before_the_status_and_resume_after_it() -> None:
    core = make([step("a")])
    core.handle(Started())
    fx = core.handle(PauseRequested())
    assert fx[0] == PauseAdmission(True) and statuses(fx) == [("", RS.PAUSED)]
    assert of(fx, SetExecutionStatus)[0].expected is RS.RUNNING
    fx = core.handle(ResumeRequested())
    assert statuses(fx) == [("", RS.RUNNING)] and fx[-1] == PauseAdmission(False)


def test_a_control_the_status_does_not_allow_is_refused_and_changes_nothing() -> None:
    core = make([step("a")])
    core.handle(Started())
    with pytest.raises(ConflictError):
        core.handle(ResumeRequested())  # running already
    assert core.record.status is RS.RUNNING
    plan(core, "a", ["x"])
    run_task(core, "a", "x")
    with pytest.raises(ConflictError):
        core.handle(PauseRequested())  # completed
    with pytest.raises(ConflictError):
        core.check(RS.CANCELLED)


def test_a_paused_execution_resumed_after_a_restart_admits_nothing() -> None:
    core = make([step("a")], status=RS.PAUSED, started_at=T0)
    fx = core.handle(Started())
    assert fx[0] == PauseAdmission(True) and not statuses(fx)


def test_cancel_withdraws_queued_tasks_signals_running_ones_then_ends_cancelled() -> None:
    retry = {"attempts": 3, "backoff": {"initial": 5, "jitter": 0}}
    core = make([step("a", retry=retry), step("b", "a"), step("c")])
    core.handle(Started())
    plan(core, "a", ["queued", "running", "waiting"])
    core.handle(TaskAdmitted("a", "running"))
    run_task(core, "a", "waiting", Outcome.RAISED, error=OSError("x"))  # waits to retry
    fx = core.handle(CancelRequested(2.0))
    assert fx[0] == AppendEvent(EventKind.CANCEL_REQUESTED, data={"grace": 2.0})
    assert Withdraw("a", "queued") in fx
    assert SignalCancel("a", "running") in fx
    assert CancelRetry("a", "waiting") in fx
    assert not statuses(fx)  # the running task has not ended yet
    # the running task stops on its signal (it raised while its cancel event was set)
    fx = end(core, "a", "running", Outcome.RAISED, error=RuntimeError("x"), signalled=True)
    assert of(fx, FinishAttempt)[0].status is RS.CANCELLED and not of(fx, ScheduleRetry)
    fx = core.handle(PlanAbandoned("c")) + core.handle(CancelSettled())
    assert statuses(fx) == [("a", RS.CANCELLED), ("b", RS.CANCELLED), ("c", RS.CANCELLED),
                            ("", RS.CANCELLED)]  # fmt: skip
    assert fx[-1] == Finished(RS.CANCELLED)


def test_during_a_cancel_admitted_attempts_abort_and_timeouts_and_retries_end_cancelled() -> None:
    core = make([step("a", retry={"attempts": 2, "backoff": {"initial": 1}})])
    core.handle(Started())
    plan(core, "a", ["x", "y", "z"])
    for key in "xyz":
        core.handle(TaskAdmitted("a", key))
    end(core, "a", "y", Outcome.RAISED, error=OSError("x"))  # y waits to retry
    fx = core.handle(CancelRequested(0.0))
    assert CancelRetry("a", "y") in fx
    fx = core.handle(AttemptAborted("a", "x"))  # admitted, cancelled before it began
    assert core.steps["a"].tasks["x"].status is RS.CANCELLED and Progress("a") in fx
    fx = end(core, "a", "z", Outcome.TIMED_OUT, error=TimeoutError())
    assert of(fx, FinishAttempt)[0].status is RS.CANCELLED and not of(fx, ScheduleRetry)
    assert core.steps["a"].tasks["y"].status is RS.PENDING  # its timer went; it stays
    fx = core.handle(CancelSettled())
    assert statuses(fx) == [("a", RS.CANCELLED), ("", RS.CANCELLED)]


def test_a_rerun_reopens_failed_work_and_keeps_what_completed() -> None:
    records = [
        StepRecord("e", "a", status=RS.COMPLETED),
        StepRecord("e", "b", status=RS.FAILED),
        StepRecord("e", "c", status=RS.SKIPPED, reason="upstream_failed"),
    ]
    done = TaskAttemptRecord("e", "a", "x", 1, status=RS.COMPLETED, result=42)
    core = make(
        [step("a"), step("b", "a"), step("c", "b")],
        records=records, attempts=[done], status=RS.FAILED, rerun=True, started_at=T0,
    )  # fmt: skip
    fx = core.handle(RerunRequested())
    assert statuses(fx) == [
        ("", RS.RETRYING), ("b", RS.RETRYING), ("c", RS.PENDING), ("", RS.RUNNING),
    ]  # fmt: skip
    assert of(fx, PlanStep) == [PlanStep("b", check_skip=True)]
    plan(core, "b", ["x"])
    assert core.handle(TaskAdmitted("b", "x"))[0].inputs == {"a": 42}


# -- limits --


def test_sequential_plans_one_step_at_a_time_in_topological_order() -> None:
    core = make([step("a"), step("b"), step("c", "a")], strategy="sequential")
    fx = core.handle(Started())
    assert of(fx, PlanStep) == [PlanStep("a", True)]
    plan(core, "a", ["x"])
    assert of(run_task(core, "a", "x"), PlanStep) == [PlanStep("b", True)]


def test_adaptive_caps_each_source_and_moves_the_cap_with_errors() -> None:
    core = make(
        [step("a", config={"source": "db"})],
        strategy="adaptive",
        limits={"per_source": 8},
        adaptive={"initial": 4, "minimum": 1, "maximum": 8},
    )
    core.handle(Started())
    fx = plan(core, "a", ["x", "y"])
    assert [e.source_cap for e in of(fx, Enqueue)] == [4, 4]
    fx = run_task(core, "a", "x", Outcome.RAISED, error=OSError("slow"), latency=0.1)
    assert of(fx, SetSourceCapacity) == [SetSourceCapacity("db", 2)]
    event = [e for e in of(fx, AppendEvent) if e.kind is EventKind.CONCURRENCY_ADJUSTED]
    assert event[0].data == {"source": "db", "limit": 2}


def test_limits_without_adaptive_pass_the_per_source_cap_through() -> None:
    core = make([step("a", config={"source": "db"})], limits={"per_source": 3})
    core.handle(Started())
    assert [e.source_cap for e in of(plan(core, "a", ["x"]), Enqueue)] == [3]


def test_the_same_events_give_the_same_effects() -> None:
    def script() -> list[Effect]:
        retry = {"attempts": 2, "backoff": {"initial": 1, "jitter": 0.5}}
        core = make([step("a", retry=retry), step("b", "a")])
        fx = core.handle(Started()) + plan(core, "a", ["x", "y"])
        fx += run_task(core, "a", "x", Outcome.RAISED, error=OSError("x"))
        fx += core.handle(RetryDue("a", "x")) + run_task(core, "a", "x") + run_task(core, "a", "y")
        return fx

    first, second = script(), script()
    assert first == second
    assert [type(e) for e in first] == [type(e) for e in second]


def test_attempts_a_crash_left_running_run_again_until_the_task_is_quarantined() -> None:
    window = T0 - timedelta(hours=1)

    def attempt(n: int, status: RunStatus, error_type: str | None = None) -> TaskAttemptRecord:
        a = TaskAttemptRecord("e", "a", "x", n, status=status, error_type=error_type)
        a.started_at = window + timedelta(seconds=n)
        return a

    old = attempt(0, RS.CANCELLED, "Interrupted")
    old.started_at = window - timedelta(seconds=1)  # before this run: does not count
    history = [old, attempt(1, RS.CANCELLED, "Interrupted"), attempt(2, RS.RUNNING)]
    assert close_interrupted(history, window, 3, T0) == [history[2]]
    second = history[2]
    assert (second.status, second.final, second.error_type) == (RS.CANCELLED, False, "Interrupted")
    assert second.finished_at == T0
    history.append(attempt(3, RS.RUNNING))
    (third,) = close_interrupted(history, window, 3, T0)
    assert (third.status, third.final, third.error_type) == (RS.FAILED, True, "Quarantined")
    assert third.error is not None and "died 3 times" in third.error
    assert close_interrupted(history, window, 3, T0) == []  # nothing is running any more
