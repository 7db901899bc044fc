"""The status state machine of executions, step executions and task attempts.

Every status change goes through :func:`check_transition`; an illegal one raises
``ConflictError`` (HTTP 409) with ``details`` naming the kind, id and both statuses.

Execution::

    from          to                                        when
    pending       initializing, cancelled                   engine picks it up / cancel
    initializing  running, failed, cancelled                steps recorded / bad spec / cancel
    running       paused, completed, failed, cancelled      pause / all steps finished / cancel
    paused        running, cancelled                        resume / cancel
    paused        completed, failed                         its last running tasks ended
    failed        retrying                                  re-run from failure
    cancelled     retrying                                  re-run from failure
    retrying      running, failed, cancelled                re-run started / no handler / cancel
    completed     (terminal)

Step execution::

    pending       initializing, skipped, cancelled          ready / condition false / cancel
    initializing  running, failed, cancelled                planned / plan raised / cancel
    running       completed, failed, cancelled              all tasks ended / any failed / cancel
    running       skipped                                   pipeline: no upstream object succeeded
    failed        retrying                                  re-run from failure
    cancelled     retrying                                  re-run from failure
    skipped       pending                                   re-run from failure
    retrying      initializing, skipped, cancelled          ready again / upstream failed again
    completed     (terminal)

Task attempt (one record per attempt; a retry is a new attempt)::

    running       completed, failed, cancelled              returned / raised or timed out /
                                                            cancelled or interrupted by a crash

``paused`` applies to executions only: a paused execution starts no new task, while the tasks
already running finish. ``retrying`` is a re-run of a finished execution or step; a single task
waiting out its back-off is reported by a ``task_retrying`` event, not a status.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sounding.domain.orchestration import RunStatus
from sounding.errors import ConflictError

logger = logging.getLogger(__name__)

P, IN, R, Z = RunStatus.PENDING, RunStatus.INITIALIZING, RunStatus.RUNNING, RunStatus.PAUSED
RT, C, F, X, S = (
    RunStatus.RETRYING,
    RunStatus.COMPLETED,
    RunStatus.FAILED,
    RunStatus.CANCELLED,
    RunStatus.SKIPPED,
)


class Kind(StrEnum):
    EXECUTION = "execution"
    STEP = "step"
    TASK = "task"


TRANSITIONS: dict[Kind, dict[RunStatus, frozenset[RunStatus]]] = {
    Kind.EXECUTION: {
        P: frozenset({IN, X}),
        IN: frozenset({R, F, X}),
        R: frozenset({Z, C, F, X}),
        Z: frozenset({R, X, C, F}),
        F: frozenset({RT}),
        X: frozenset({RT}),
        RT: frozenset({R, F, X}),
    },
    Kind.STEP: {
        P: frozenset({IN, S, X}),
        IN: frozenset({R, F, X}),
        R: frozenset({C, F, X, S}),
        F: frozenset({RT}),
        X: frozenset({RT}),
        S: frozenset({P}),
        RT: frozenset({IN, S, X}),
    },
    Kind.TASK: {
        R: frozenset({C, F, X}),
    },
}


def can_transition(kind: Kind, current: RunStatus, target: RunStatus) -> bool:
    return target in TRANSITIONS[kind].get(current, frozenset())


def check_transition(kind: Kind, ident: str, current: RunStatus, target: RunStatus) -> None:
    """Raise ``ConflictError`` unless ``current -> target`` is legal for ``kind``."""
    if not can_transition(kind, current, target):
        raise ConflictError(
            f"Cannot move {kind.value} '{ident}' from {current.value} to {target.value}",
            kind=kind.value,
            id=ident,
            current=current.value,
            target=target.value,
        )
