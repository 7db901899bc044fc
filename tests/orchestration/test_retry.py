"""Retries with exponential back-off and jitter, non-retryable errors, and timeouts."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from sounding.domain.orchestration import EventKind, RunStatus
from sounding.errors import ConnectionFailedError, InvalidInputError, ObjectScanError
from sounding.orchestration.retry import backoff_delay, is_retryable
from sounding.orchestration.spec import Backoff, RetryPolicy
from tests.orchestration.helpers import Probe, engine, run, workflow


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=9, backoff=Backoff(initial=1, factor=2, max=10, jitter=0))
    assert [backoff_delay(policy, n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_jitter_spreads_delays_within_bounds() -> None:
    policy = RetryPolicy(attempts=3, backoff=Backoff(initial=4, factor=2, jitter=0.25))
    rng = random.Random(7)
    delays = [backoff_delay(policy, 2, rng) for _ in range(200)]
    assert 6.0 <= min(delays) < 6.5 and 9.5 < max(delays) <= 10.0
    assert len({round(d, 6) for d in delays}) > 150


@pytest.mark.parametrize(
    ("policy", "exc", "expected"),
    [
        (RetryPolicy(), ConnectionFailedError("down"), True),
        (RetryPolicy(), InvalidInputError("bad config"), False),
        (RetryPolicy(retry_on=("SourceError",)), ConnectionFailedError("down"), True),
        (RetryPolicy(retry_on=("SourceError",)), ValueError("x"), False),
        (RetryPolicy(no_retry_on=("ObjectScanError",)), ObjectScanError("t"), False),
        (RetryPolicy(), TimeoutError(), True),
    ],
)
def test_which_errors_are_retried(policy: RetryPolicy, exc: Exception, expected: bool) -> None:
    assert is_retryable(policy, exc) is expected


def test_marked_exceptions_are_never_retried() -> None:
    exc = RuntimeError("permanent")
    exc.retryable = False  # type: ignore[attr-defined]
    assert not is_retryable(RetryPolicy(attempts=5), exc)


def execute(probe: Probe, step: dict[str, Any]) -> tuple[RunStatus, list[Any], list[Any]]:
    async def main() -> tuple[RunStatus, list[Any], list[Any]]:
        async with engine(probe) as eng:
            eid = await eng.submit(workflow(step))
            rec = await eng.wait(eid)
            attempts = await eng.storage.list_task_attempts(eid)
            return rec.status, attempts, await eng.storage.list_events(eid)

    return run(main())


def test_transient_failures_are_retried_after_backoff_then_succeed() -> None:
    probe = Probe()
    status, attempts, events = execute(probe, {
        "id": "a", "type": "probe", "config": {"fail": "*", "fail_times": 2, "error":
                                                "ConnectionFailedError"},
        "retry": {"attempts": 3, "backoff": {"initial": 0.05, "factor": 2, "jitter": 0}},
    })  # fmt: skip
    assert status == RunStatus.COMPLETED
    assert [(a.attempt, a.status, a.final) for a in attempts] == [
        (1, RunStatus.FAILED, False), (2, RunStatus.FAILED, False), (3, RunStatus.COMPLETED, True)
    ]  # fmt: skip
    assert attempts[0].error_type == "ConnectionFailedError"
    starts = [s.start for s in probe.spans]
    assert starts[1] - starts[0] >= 0.05 and starts[2] - starts[1] >= 0.1
    delays = [e.data["delay"] for e in events if e.kind is EventKind.TASK_RETRYING]
    assert delays == [0.05, 0.1]


def test_retries_are_bounded_by_attempts() -> None:
    probe = Probe()
    status, attempts, events = execute(probe, {
        "id": "a", "type": "probe", "config": {"fail": "*"},
        "retry": {"attempts": 3, "backoff": {"initial": 0}},
    })  # fmt: skip
    assert status == RunStatus.FAILED
    assert [a.status for a in attempts] == [RunStatus.FAILED] * 3 and attempts[-1].final
    assert [e.kind for e in events].count(EventKind.TASK_FAILED) == 1


def test_non_retryable_error_fails_at_once() -> None:
    probe = Probe()
    status, attempts, _ = execute(probe, {
        "id": "a", "type": "probe", "config": {"fail": "*", "error": "InvalidInputError"},
        "retry": {"attempts": 5, "backoff": {"initial": 0}},
    })  # fmt: skip
    assert status == RunStatus.FAILED
    assert len(attempts) == 1 and attempts[0].error_type == "InvalidInputError"


def test_timeout_fails_the_attempt_and_is_retried() -> None:
    probe = Probe()
    began = time.monotonic()
    status, attempts, _ = execute(probe, {
        "id": "a", "type": "probe", "timeout": "50ms", "config": {"seconds": 5},
        "retry": {"attempts": 2, "backoff": {"initial": 0}},
    })  # fmt: skip
    assert time.monotonic() - began < 1.0
    assert status == RunStatus.FAILED
    assert [(a.status, a.error_type) for a in attempts] == [(RunStatus.FAILED, "TimeoutError")] * 2
    assert "timed out after 0.05s" in (attempts[0].error or "")


def test_timeout_stops_a_blocking_task_cooperatively() -> None:
    probe = Probe()
    status, attempts, _ = execute(probe, {
        "id": "a", "type": "probe", "timeout": 0.05, "config": {"seconds": 5, "blocking": True},
    })  # fmt: skip
    assert status == RunStatus.FAILED and attempts[0].error_type == "TimeoutError"
    time.sleep(0.05)
    assert probe.running == 0  # the worker thread saw ctx.cancelled and returned
