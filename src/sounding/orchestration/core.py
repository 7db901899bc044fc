"""The decisions of one execution, as a pure state machine: ``handle(event) -> list[effect]``.

:class:`ExecutionCore` owns the in-memory state of one execution (its record, its steps and
their tasks, see :mod:`sounding.orchestration.state`) and decides everything about it: which
step is planned, skipped or finished when, which task is queued, retried, failed or cancelled,
what a timeout or a cancel means, which statuses and events are recorded, and when the
execution ends. It never awaits and never reads storage; it reads the clock and draws random
numbers only through the ``clock`` and ``rng`` it is given; it holds no asyncio task, timer,
thread event or dispatcher ticket. The async driver (:mod:`sounding.orchestration.driver`)
feeds it :data:`Event` values and carries out the :data:`Effect` values it returns, in order.
An import-linter contract keeps it that way.

Work that the engine used to spawn as separate coroutines (finishing a step, skipping one,
finishing the execution) is deferred inside one ``handle`` call: it runs after the event's own
decisions, in the order it was asked for, so e.g. a cancel withdraws every queued task before
any step reacts to its tasks ending.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sounding.domain.orchestration import (
    SINGLE_TASK,
    EventKind,
    ExecutionRecord,
    RunCondition,
    RunStatus,
    StepRecord,
    Strategy,
    TaskAttemptRecord,
    utcnow,
)
from sounding.orchestration.adaptive import AimdController
from sounding.orchestration.dag import topological_order
from sounding.orchestration.retry import backoff_delay, should_retry
from sounding.orchestration.spec import TaskSpec, WorkflowSpec
from sounding.orchestration.state import (
    CANCELLED,
    CONDITION_NOT_MET,
    SKIP_IF,
    UPSTREAM_FAILED,
    StepState,
    TaskState,
    ready_keys,
    restore_finished_step,
    restore_task,
    upstream_keys,
)
from sounding.orchestration.states import Kind, check_transition

RS = RunStatus

# Events and effects are small slotted dataclasses used as values: nothing changes one once it
# is made. They are not ``frozen=True``: a frozen dataclass costs about 1 µs more to make, and
# a task makes five of them (queue, admit, start, end, its record), which cost 15-20% of the
# engine's fan-out throughput (bench/orchestration.py --mode fanout) when they were frozen.


# -- events: what happened (fed by the driver) --


@dataclass(slots=True)
class Started:
    """The driver took the execution in hand: fresh, resumed after a restart, or paused."""


@dataclass(slots=True)
class RerunRequested:
    """Re-open a failed or cancelled execution (then start it)."""


@dataclass(slots=True)
class PauseRequested:
    """Admit no new task of the execution; running ones finish."""


@dataclass(slots=True)
class ResumeRequested:
    """Admit tasks again."""


@dataclass(slots=True)
class CancelRequested:
    grace: float


@dataclass(slots=True)
class CancelSettled:
    """The cancel's grace is over: what still runs was forced to stop."""


@dataclass(slots=True)
class SkipChecked:
    """The step's ``skip_if`` conditions were evaluated (``skip``: one of them held)."""

    step_id: str
    skip: bool


@dataclass(slots=True)
class StepPlanned:
    """The step's handler returned its plan: ``tasks`` listed, ``None`` for one task per
    upstream object, or ``streaming`` (the driver feeds :class:`TaskListed` as they come)."""

    step_id: str
    tasks: tuple[TaskSpec | str, ...] | None
    streaming: bool = False


@dataclass(slots=True)
class PlanFailed:
    step_id: str
    error: str


@dataclass(slots=True)
class PlanAbandoned:
    """Planning was cancelled (a cancel's grace ran out) before it ended."""

    step_id: str


@dataclass(slots=True)
class TaskListed:
    step_id: str
    item: TaskSpec | str


@dataclass(slots=True)
class ListingEnded:
    step_id: str
    error: str | None = None


@dataclass(slots=True)
class TaskAdmitted:
    """The dispatcher admitted the task within every limit."""

    step_id: str
    key: str


@dataclass(slots=True)
class AttemptAborted:
    """The admitted attempt never began (cancelled before it was recorded)."""

    step_id: str
    key: str


class Outcome(StrEnum):
    COMPLETED = "completed"  # the task function returned ``value``
    TIMED_OUT = "timed_out"  # the step's timeout ran out (or the task raised TimeoutError)
    CANCELLED = "cancelled"  # the task stopped on its cancel signal (TaskCancelledError)
    RAISED = "raised"  # the task raised ``error``


@dataclass(slots=True)
class AttemptEnded:
    """The task function of the running attempt ended. ``signalled``: its cancel signal was
    set by then; ``latency``: seconds from the attempt's start."""

    step_id: str
    key: str
    outcome: Outcome
    value: Any = None
    error: BaseException | None = None
    signalled: bool = False
    latency: float = 0.0


@dataclass(slots=True)
class AttemptRecorded:
    """The :class:`FinishAttempt` decided on :class:`AttemptEnded` is stored: now what follows
    from the attempt's end is decided (after its record, as a restart would see it)."""

    step_id: str
    key: str


@dataclass(slots=True)
class RetryDue:
    """The back-off of a failed attempt ran out."""

    step_id: str
    key: str


Event = (
    Started
    | RerunRequested
    | PauseRequested
    | ResumeRequested
    | CancelRequested
    | CancelSettled
    | SkipChecked
    | StepPlanned
    | PlanFailed
    | PlanAbandoned
    | TaskListed
    | ListingEnded
    | TaskAdmitted
    | AttemptAborted
    | AttemptEnded
    | AttemptRecorded
    | RetryDue
)


# -- effects: what the driver must do, in order --


@dataclass(slots=True)
class SetExecutionStatus:
    """Store the execution's new status (compare-and-set on ``expected``), log its event."""

    record: ExecutionRecord
    expected: RunStatus


@dataclass(slots=True)
class SetStepStatus:
    record: StepRecord
    expected: RunStatus
    data: Mapping[str, Any]


@dataclass(slots=True)
class AppendEvent:
    kind: EventKind
    step_id: str | None = None
    task_key: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EnsureSteps:
    """Store the step records storage does not have yet."""

    records: tuple[StepRecord, ...]


@dataclass(slots=True)
class Finished:
    """The execution ended with ``status`` (stored before): free its limits, wake waiters."""

    status: RunStatus


@dataclass(slots=True)
class PauseAdmission:
    """Admit no new task of this execution (``paused``), or admit again once the status
    decided before is stored."""

    paused: bool


@dataclass(slots=True)
class PlanStep:
    """Run the step's handler (after its ``skip_if`` conditions when ``check_skip``)."""

    step_id: str
    check_skip: bool


@dataclass(slots=True)
class ConsumeListing:
    """Read the step's streamed task listing, feeding :class:`TaskListed`."""

    step_id: str


@dataclass(slots=True)
class Enqueue:
    """Queue the task in the dispatcher. ``source_cap``: this execution's cap on ``source``
    (None: none), for the constraint's creation."""

    step_id: str
    key: str
    priority: int
    source: str | None
    source_cap: int | None


@dataclass(slots=True)
class Withdraw:
    """Take the task's queued ticket back from the dispatcher."""

    step_id: str
    key: str


@dataclass(slots=True)
class StartAttempt:
    step_id: str
    key: str
    attempt: int
    source: str | None
    inputs: Mapping[str, Any]
    payload: Any = None


@dataclass(slots=True)
class FinishAttempt:
    """Record the attempt's end (the one effect of :class:`AttemptEnded`); the driver answers
    :class:`AttemptRecorded` once it is stored."""

    step_id: str
    key: str
    attempt: int
    status: RunStatus
    result: Any
    error: str | None
    error_type: str | None
    final: bool


@dataclass(slots=True)
class SignalCancel:
    """Ask the running attempt to stop (its ``ctx.cancel_event``)."""

    step_id: str
    key: str


@dataclass(slots=True)
class ScheduleRetry:
    step_id: str
    key: str
    delay: float


@dataclass(slots=True)
class CancelRetry:
    step_id: str
    key: str


@dataclass(slots=True)
class SetSourceCapacity:
    """The adaptive controller of ``source`` moved this execution's cap on it."""

    source: str
    capacity: int


@dataclass(slots=True)
class Progress:
    """The step's figures changed: publish a progress event (``force``: even if one was
    published a moment ago)."""

    step_id: str
    force: bool = False


@dataclass(slots=True)
class Warn:
    message: str


Effect = (
    SetExecutionStatus
    | SetStepStatus
    | AppendEvent
    | EnsureSteps
    | Finished
    | PauseAdmission
    | PlanStep
    | ConsumeListing
    | Enqueue
    | Withdraw
    | StartAttempt
    | FinishAttempt
    | SignalCancel
    | ScheduleRetry
    | CancelRetry
    | SetSourceCapacity
    | Progress
    | Warn
)


class ExecutionCore:
    """One execution's state and decisions. Not thread-safe, not re-entrant: the driver
    feeds one event at a time and carries the returned effects out in order."""

    def __init__(
        self,
        record: ExecutionRecord,
        spec: WorkflowSpec,
        steps: list[StepState],
        *,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.record = record
        self.spec = spec
        self.id = record.id
        self.order = steps  # topological
        self.steps = {s.id: s for s in steps}
        self._progress = {s.id: Progress(s.id) for s in steps}  # effects are immutable: reused
        self.cancelling = False
        self.finishing = False
        self.controllers: dict[str, AimdController] = {}
        self.rng = rng or random.Random()
        self.clock = clock
        self._out: list[Effect] = []
        self._later: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()
        self._handlers: dict[type, Callable[[Any], None]] = {
            Started: self._on_started,
            RerunRequested: self._on_rerun,
            PauseRequested: self._on_pause,
            ResumeRequested: self._on_resume,
            CancelRequested: self._on_cancel,
            CancelSettled: self._on_cancel_settled,
            SkipChecked: self._on_skip_checked,
            StepPlanned: self._on_planned,
            PlanFailed: self._on_plan_failed,
            PlanAbandoned: self._on_plan_abandoned,
            TaskListed: self._on_listed,
            ListingEnded: self._on_listing_ended,
            TaskAdmitted: self._on_admitted,
            AttemptAborted: self._on_attempt_aborted,
            AttemptEnded: self._on_attempt_ended,
            AttemptRecorded: self._on_attempt_recorded,
            RetryDue: self._on_retry_due,
        }

    @classmethod
    def from_records(
        cls,
        record: ExecutionRecord,
        spec: WorkflowSpec,
        records: Sequence[StepRecord] = (),
        attempts: Sequence[TaskAttemptRecord] = (),
        *,
        rerun: bool = False,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> ExecutionCore:
        """The core of an execution as storage has it: its step records (missing ones are
        new) and every task attempt so far. Steps that ended get their tasks back (their
        results feed downstream inputs), except the failed ones of a re-run."""
        stored = {r.step_id: r for r in records}
        order = topological_order({s.id: list(s.depends_on) for s in spec.steps})
        states: dict[str, StepState] = {}
        for step_id in order:
            step = spec.step(step_id)
            rec = stored.get(step_id) or StepRecord(record.id, step_id)
            s = states[step_id] = StepState(step, rec)
            s.upstream = [states[d] for d in dict.fromkeys(step.depends_on)]
            for up in s.upstream:
                up.downstream.append(s)
        for a in attempts:
            states[a.step_id].history.setdefault(a.task_key, []).append(a)
        for s in states.values():
            if s.finished and not (rerun and s.status is not RS.COMPLETED):
                restore_finished_step(s)
        return cls(record, spec, list(states.values()), rng=rng, clock=clock)

    # -- the one entry point --

    def handle(self, event: Event) -> list[Effect]:
        """Apply ``event``; return what must be done, in order. Raises ConflictError (and
        changes nothing) for a control the execution's status does not allow."""
        out: list[Effect] = []
        self._out = out
        later = self._later
        try:
            self._handlers[type(event)](event)
            while later:
                fn, args = later.popleft()
                fn(*args)
        except BaseException:
            later.clear()
            raise
        return out

    def check(self, target: RunStatus) -> None:
        """Raise ConflictError unless the execution may move to ``target`` now."""
        check_transition(Kind.EXECUTION, self.id, self.record.status, target)

    def task(self, step_id: str, key: str) -> TaskState:
        return self.steps[step_id].tasks[key]

    def _emit(self, effect: Effect) -> None:
        self._out.append(effect)

    def _defer(self, fn: Callable[..., None], *args: Any) -> None:
        self._later.append((fn, args))

    # -- lifecycle --

    def _on_started(self, _: Started | None = None) -> None:
        """Take the execution from wherever storage left it to running, then schedule."""
        status = self.record.status
        if status is RS.PENDING:
            self._set_status(RS.INITIALIZING)
        if self.record.status is RS.INITIALIZING:
            self._emit(EnsureSteps(tuple(replace(s.record) for s in self.order)))
            self._set_status(RS.RUNNING)
        elif status is RS.RETRYING:
            self._set_status(RS.RUNNING)
        elif status is RS.PAUSED:
            self._emit(PauseAdmission(True))
        self._advance()

    def _on_rerun(self, _: RerunRequested) -> None:
        """Re-open a failed or cancelled execution; completed tasks keep their results."""
        self._set_status(RS.RETRYING)
        for s in self.order:
            if s.status in (RS.FAILED, RS.CANCELLED):
                self._set_step(s, RS.RETRYING)
            elif s.status is RS.SKIPPED:
                self._set_step(s, RS.PENDING)
        self._on_started()

    def _on_pause(self, _: PauseRequested) -> None:
        self.check(RS.PAUSED)
        self._emit(PauseAdmission(True))
        self._set_status(RS.PAUSED)

    def _on_resume(self, _: ResumeRequested) -> None:
        self.check(RS.RUNNING)
        self._set_status(RS.RUNNING)
        self._emit(PauseAdmission(False))

    def _on_cancel(self, event: CancelRequested) -> None:
        """Withdraw queued tasks, signal running ones (the driver forces them after the
        grace, then sends :class:`CancelSettled`)."""
        if self.cancelling:
            return
        self.cancelling = True
        self._emit(AppendEvent(EventKind.CANCEL_REQUESTED, data={"grace": event.grace}))
        for s in self.order:
            s.dropped_keys += len(s.held)
            s.held.clear()
            s.waiting_keys.clear()
            for task in list(s.tasks.values()):
                if task.status is RS.PENDING:
                    if task.retry_wait:  # its last ticket is spent: it stays, the step ends
                        task.retry_wait = False
                        self._emit(CancelRetry(s.id, task.key))
                    else:
                        self._emit(Withdraw(s.id, task.key))
                        self._end(task, RS.CANCELLED, None)
                elif task.status is RS.RUNNING:
                    self._emit(SignalCancel(s.id, task.key))
            if s.has_plan:
                s.planned = True
                self._maybe_finish_step(s)

    def _on_cancel_settled(self, _: CancelSettled) -> None:
        for s in self.order:
            if not s.finished and not s.busy:
                self._set_step(s, RS.CANCELLED, reason=CANCELLED)
        self._maybe_finish()

    # -- scheduling steps --

    def _advance(self) -> None:
        """Start or skip every step whose turn it is; finish the execution when all ended."""
        if self.cancelling or self.finishing:
            self._maybe_finish()
            return
        candidates = self.order
        if self.spec.strategy is Strategy.SEQUENTIAL:
            candidates = [s for s in self.order if not s.finished][:1]
        for s in candidates:
            if s.busy or s.finished:
                continue
            if s.status in (RS.INITIALIZING, RS.RUNNING):
                if not s.has_plan:  # resumed after a restart: plan it again
                    self._launch(s)
                continue
            decision = self._decide(s)
            if decision == "start":
                self._launch(s)
            elif decision is not None:
                s.busy = True
                self._defer(self._skip, s, decision)
        self._maybe_finish()

    def _decide(self, s: StepState) -> str | None:
        """Return "start", a skip reason, or None while the step cannot be decided yet."""
        cond = s.spec.run_if
        if all(u.finished for u in s.upstream):
            failed = any(u.failedish for u in s.upstream)
            if cond is RunCondition.ON_SUCCESS and failed:
                return UPSTREAM_FAILED
            if cond is RunCondition.ON_FAILURE and not failed:
                return CONDITION_NOT_MET
            return "start"
        early = self.spec.strategy is Strategy.PIPELINE and cond is RunCondition.ON_SUCCESS
        if early and all(u.status in (RS.RUNNING, RS.COMPLETED) for u in s.upstream):
            return "start"
        return None

    def _launch(self, s: StepState) -> None:
        s.busy = True
        self._emit(PlanStep(s.id, check_skip=s.status in (RS.PENDING, RS.RETRYING)))

    def _skip(self, s: StepState, reason: str) -> None:
        self._set_step(s, RS.SKIPPED, reason=reason)
        s.busy = False
        self._step_ended(s)

    def _on_skip_checked(self, event: SkipChecked) -> None:
        s = self.steps[event.step_id]
        if event.skip:
            self._set_step(s, RS.SKIPPED, reason=SKIP_IF)
            s.busy = False
            self._step_ended(s)
        else:
            self._set_step(s, RS.INITIALIZING)

    def _on_plan_failed(self, event: PlanFailed) -> None:
        s = self.steps[event.step_id]
        if s.status in (RS.PENDING, RS.RETRYING):  # a skip condition raised
            self._set_step(s, RS.INITIALIZING)
        self._set_step(s, RS.FAILED, reason=event.error)
        s.busy = False
        self._step_ended(s)

    def _on_plan_abandoned(self, event: PlanAbandoned) -> None:
        self.steps[event.step_id].busy = False

    def _on_planned(self, event: StepPlanned) -> None:
        s = self.steps[event.step_id]
        s.has_plan = True
        if s.status is RS.INITIALIZING:
            self._set_step(s, RS.RUNNING)
        s.busy = False
        self._feed(s, event)
        if self.spec.strategy is Strategy.PIPELINE:
            self._advance()

    def _feed(self, s: StepState, plan: StepPlanned) -> None:
        if self.cancelling:
            s.planned = True
        elif plan.streaming:
            self._emit(ConsumeListing(s.id))
            return
        elif plan.tasks is None:
            s.per_object = True
            self._offer(s, upstream_keys(s))
        else:
            for item in plan.tasks:
                self._add_task(s, item)
            s.planned = True
        self._maybe_finish_step(s)

    def _on_listed(self, event: TaskListed) -> None:
        self._add_task(self.steps[event.step_id], event.item)

    def _on_listing_ended(self, event: ListingEnded) -> None:
        s = self.steps[event.step_id]
        if event.error is not None:
            s.error = f"listing tasks failed: {event.error}"
        s.planned = True
        self._maybe_finish_step(s)

    def _add_task(self, s: StepState, item: TaskSpec | str) -> None:
        spec = item if isinstance(item, TaskSpec) else TaskSpec(str(item))
        if spec.key in s.tasks or spec.key in s.held:
            self._emit(Warn(f"Execution {self.id}: duplicate task key {spec.key!r} in '{s.id}'"))
            return
        if s.upstream and not all(u.finished for u in s.upstream):
            s.held[spec.key] = spec  # pipeline, whole-step dependency: wait for upstream to end
            return
        self._create_task(s, spec)

    def _offer(self, s: StepState, keys: list[str]) -> None:
        """Create the tasks of a per-object step for the objects that are ready."""
        if self.cancelling or s.finished:
            return
        for key in ready_keys(s, keys):
            self._create_task(s, TaskSpec(key, source=s.spec.source))
        if all(u.finished for u in s.upstream):
            s.planned = True

    def _step_ended(self, u: StepState) -> None:
        """An upstream step ended: release what waited for it downstream, then schedule."""
        for d in u.downstream:
            if not d.has_plan or d.finished:
                continue
            if d.per_object:
                self._offer(d, list(d.waiting_keys))
            elif d.held and all(x.finished for x in d.upstream):
                held, d.held = d.held, {}
                if any(x.failedish for x in d.upstream):
                    d.dropped_keys += len(held)
                else:
                    for spec in held.values():
                        self._create_task(d, spec)
            self._maybe_finish_step(d)
        self._advance()

    def _maybe_finish_step(self, s: StepState) -> None:
        if s.busy or s.finished or not s.planned or s.unfinished or s.held or not s.has_plan:
            return
        s.busy = True
        self._defer(self._finish_step, s)

    def _finish_step(self, s: StepState) -> None:
        if s.cancelled:
            status, reason = RS.CANCELLED, CANCELLED
        elif s.failed or s.error:
            status, reason = RS.FAILED, s.error or f"{s.failed} task(s) failed"
        elif s.dropped_keys and not s.tasks:
            status, reason = RS.SKIPPED, UPSTREAM_FAILED
        else:
            status, reason = RS.COMPLETED, None
        self._set_step(s, status, reason=reason)
        s.busy = False
        self._emit(Progress(s.id, force=True))
        self._step_ended(s)

    def _maybe_finish(self) -> None:
        if self.finishing or not all(s.finished for s in self.order):
            return
        self.finishing = True
        self._defer(self._finish)

    def _finish(self) -> None:
        if self.cancelling:
            status = RS.CANCELLED
        elif any(s.status in (RS.FAILED, RS.CANCELLED) for s in self.order):
            status = RS.FAILED
        else:
            status = RS.COMPLETED
        failed = [s.id for s in self.order if s.status is RS.FAILED]
        error = f"step(s) failed: {', '.join(failed)}" if failed else None
        self._set_status(status, error=error)
        self._emit(Finished(status))

    # -- tasks --

    def _create_task(self, s: StepState, spec: TaskSpec) -> None:
        """Add a task to a step: restore it from earlier attempts, or queue it."""
        task = TaskState(s, spec)
        s.tasks[spec.key] = task
        if restore_task(task, self.record.started_at):
            if task.status is RS.COMPLETED:
                self._completed_downstream(task)
            return
        s.unfinished += 1
        self._enqueue(task)

    def _enqueue(self, task: TaskState) -> None:
        task.status = RS.PENDING
        s = task.step
        spec = task.spec
        priority = spec.priority if spec.priority is not None else s.spec.priority
        source = spec.source or s.source
        cap = self._source_cap(source) if source is not None else None
        self._out.append(Enqueue(s.id, spec.key, priority, source, cap))

    def _source_cap(self, source: str) -> int | None:
        """This execution's cap on concurrent tasks of ``source`` (adaptive: its controller's)."""
        per_source = self.spec.limits.per_source
        if self.spec.strategy is not Strategy.ADAPTIVE:
            return per_source
        ctrl = self.controllers.get(source)
        if ctrl is None:
            ctrl = self.controllers[source] = AimdController(self.spec.adaptive, per_source)
        return ctrl.capacity

    def _on_admitted(self, event: TaskAdmitted) -> None:
        task = self.steps[event.step_id].tasks[event.key]
        task.status = RS.RUNNING
        task.attempt += 1
        spec = task.spec
        source = spec.source or task.step.source
        inputs = self._inputs(task) if task.step.upstream else {}
        self._out.append(
            StartAttempt(event.step_id, event.key, task.attempt, source, inputs, spec.payload)
        )

    def _inputs(self, task: TaskState) -> dict[str, Any]:
        out = {}
        for up in task.step.upstream:
            found = up.tasks.get(task.key) or up.tasks.get(SINGLE_TASK)
            if found is not None and found.status is RS.COMPLETED:
                out[up.id] = found.result
        return out

    def _on_attempt_aborted(self, event: AttemptAborted) -> None:
        self._end(self.steps[event.step_id].tasks[event.key], RS.CANCELLED, None)

    def _on_attempt_ended(self, event: AttemptEnded) -> None:
        """Decide what the attempt's end means (its status, whether it is retried): its record
        first; what follows waits for :class:`AttemptRecorded`."""
        task = self.steps[event.step_id].tasks[event.key]
        s = task.step
        if event.outcome is Outcome.COMPLETED:  # the common case, kept short
            value = event.value
            task.ended = (RS.COMPLETED, value, None, False, event.latency)
            self._out.append(
                FinishAttempt(s.id, task.key, task.attempt, RS.COMPLETED, value, None, None, True)
            )
            return
        exc = event.error
        status = RS.FAILED
        if event.outcome is Outcome.TIMED_OUT:
            if self.cancelling:
                status = RS.CANCELLED
            elif exc is None or not str(exc):
                exc = TimeoutError(f"Task timed out after {s.spec.timeout:g}s")
        elif event.outcome is Outcome.CANCELLED or (event.signalled and self.cancelling):
            status = RS.CANCELLED
        retry = False
        if status is RS.FAILED:
            task.failures += 1
            retry = (
                exc is not None
                and not self.cancelling
                and should_retry(s.spec.retry, exc, task.failures)
            )
        error = f"{type(exc).__name__}: {exc}" if exc is not None else None
        error_type = type(exc).__name__ if exc is not None else None
        task.ended = (status, event.value, error, retry, event.latency)
        self._emit(
            FinishAttempt(
                s.id, task.key, task.attempt, status, event.value, error, error_type, not retry
            )
        )

    def _on_attempt_recorded(self, event: AttemptRecorded) -> None:
        """The attempt's end is stored: retry the task, or end it and go on from there."""
        task = self.steps[event.step_id].tasks[event.key]
        assert task.ended is not None, f"{event} before its AttemptEnded"
        status, value, error, retry, latency = task.ended
        task.ended = None
        if self.controllers:
            self._observe(task, latency, status)
        s = task.step
        if retry:
            delay = backoff_delay(s.spec.retry, task.failures, self.rng)
            task.status = RS.PENDING
            task.retry_wait = True
            data = {"attempt": task.attempt, "error": error, "delay": delay}
            self._emit(AppendEvent(EventKind.TASK_RETRYING, s.id, task.key, data))
            self._emit(ScheduleRetry(s.id, task.key, delay))
            return
        if status is RS.FAILED:
            data = {"attempt": task.attempt, "error": error}
            self._emit(AppendEvent(EventKind.TASK_FAILED, s.id, task.key, data))
        self._end(task, status, value)

    def _on_retry_due(self, event: RetryDue) -> None:
        task = self.steps[event.step_id].tasks[event.key]
        task.retry_wait = False
        if self.cancelling:
            self._end(task, RS.CANCELLED, None)
        else:
            self._enqueue(task)

    def _observe(self, task: TaskState, latency: float, status: RunStatus) -> None:
        """Adaptive strategy: feed the source's AIMD controller, apply a new limit."""
        if not self.controllers:
            return
        source = task.spec.source or task.step.source
        ctrl = self.controllers.get(source) if source is not None else None
        if ctrl is None or source is None or status is RS.CANCELLED:
            return
        if ctrl.record(latency, ok=status is RS.COMPLETED):
            self._emit(SetSourceCapacity(source, ctrl.capacity))
            data = {"source": source, "limit": ctrl.capacity}
            self._emit(AppendEvent(EventKind.CONCURRENCY_ADJUSTED, data=data))

    def _end(self, task: TaskState, status: RunStatus, value: Any) -> None:
        s = task.step
        task.status, task.result = status, value
        s.unfinished -= 1
        if status is RS.COMPLETED:
            s.done += 1
            self._completed_downstream(task)
        elif status is RS.FAILED:
            s.failed += 1
        else:
            s.cancelled += 1
        self._out.append(self._progress[s.id])
        self._maybe_finish_step(s)

    def _completed_downstream(self, task: TaskState) -> None:
        for d in task.step.downstream:
            if d.per_object and d.has_plan:
                self._offer(d, [task.key])

    # -- statuses --

    def _set_status(self, status: RunStatus, *, error: str | None = None) -> None:
        rec = self.record
        old = rec.status
        check_transition(Kind.EXECUTION, self.id, old, status)
        now = self.clock()
        rec.status = status
        if status is RS.RUNNING and rec.started_at is None:
            rec.started_at = now
        if status is RS.RETRYING:
            rec.started_at, rec.finished_at, rec.error = now, None, None
        if status.finished:
            rec.finished_at = now
        rec.error = error or rec.error
        self._emit(SetExecutionStatus(replace(rec, spec={}, params={}), old))

    def _set_step(self, s: StepState, status: RunStatus, reason: str | None = None) -> None:
        rec = s.record
        old = rec.status
        check_transition(Kind.STEP, f"{self.id}/{s.id}", old, status)
        now = self.clock()
        rec.status, rec.reason = status, reason
        if status is RS.INITIALIZING:
            rec.started_at, rec.finished_at = now, None
        if status.finished:
            rec.finished_at = now
        s.sync_counts()
        data = {"reason": reason, "tasks_total": rec.tasks_total, "tasks_done": rec.tasks_done}
        self._emit(SetStepStatus(replace(rec), old, data))
