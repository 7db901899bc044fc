"""Pause, resume, cancel, re-run from failure, run conditions, and the state machine."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from sounding.domain.orchestration import EventKind, RunStatus
from sounding.errors import ConflictError, NotFoundError
from sounding.orchestration.engine import Engine
from sounding.orchestration.states import TRANSITIONS, Kind, can_transition, check_transition
from tests.orchestration.helpers import Probe, engine, run, workflow


async def until(predicate: Any, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.002)


async def step_statuses(eng: Engine, eid: str) -> dict[str, RunStatus]:
    return {s.step_id: s.status for s in await eng.storage.get_steps(eid)}


def test_pause_lets_running_tasks_finish_and_starts_nothing_until_resume() -> None:
    probe = Probe()
    doc = workflow({"id": "a", "type": "probe", "config": {"tasks": 12, "seconds": 0.05}},
                   limits={"max_concurrent": 3})  # fmt: skip

    async def main() -> None:
        async with engine(probe) as eng:
            eid = await eng.submit(doc)
            await until(lambda: len(probe.spans) >= 3)
            await eng.pause(eid)
            started = len(probe.spans)
            assert (await eng.storage.get_execution(eid)).status is RunStatus.PAUSED
            await asyncio.sleep(0.2)
            assert len(probe.spans) == started  # nothing new started
            assert probe.running == 0 and all(s.ok for s in probe.spans)  # running ones ended
            with pytest.raises(ConflictError):
                await eng.pause(eid)  # paused -> paused is not a transition
            await eng.resume(eid)
            assert (await eng.wait(eid)).status is RunStatus.COMPLETED
            assert sorted(probe.calls.values()) == [1] * 12

    run(main())


def test_cancel_stops_cooperative_tasks_quickly_and_cancels_the_rest() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "a", "type": "probe", "config": {"tasks": 6, "seconds": 10}},
        {"id": "b", "type": "probe", "depends_on": ["a"]},
        limits={"max_concurrent": 2},
    )

    async def main() -> None:
        async with engine(probe) as eng:
            eid = await eng.submit(doc)
            await until(lambda: probe.running == 2)
            began = time.monotonic()
            await eng.cancel(eid, grace=5)
            assert time.monotonic() - began < 0.5  # tasks honoured ctx.cancelled
            rec = await eng.storage.get_execution(eid)
            assert rec.status is RunStatus.CANCELLED
            assert await step_statuses(eng, eid) == {
                "a": RunStatus.CANCELLED,
                "b": RunStatus.CANCELLED,
            }
            attempts = await eng.storage.list_task_attempts(eid)
            assert [a.status for a in attempts] == [RunStatus.CANCELLED] * 2  # 4 never started
            kinds = [e.kind for e in await eng.storage.list_events(eid)]
            assert EventKind.CANCEL_REQUESTED in kinds
            with pytest.raises(ConflictError):
                await eng.cancel(eid)

    run(main())


def test_cancel_forces_uncooperative_tasks_after_the_grace_period() -> None:
    probe = Probe()
    doc = workflow({"id": "a", "type": "probe", "config": {"tasks": 2}})

    async def main() -> None:
        async with engine(probe) as eng:
            probe.gate = asyncio.Event()  # tasks wait on it and never look at ctx.cancelled
            eid = await eng.submit(doc)
            await until(lambda: probe.running == 2)
            began = time.monotonic()
            await eng.cancel(eid, grace=0.1)
            assert 0.1 <= time.monotonic() - began < 0.5
            attempts = await eng.storage.list_task_attempts(eid)
            assert [a.status for a in attempts] == [RunStatus.CANCELLED] * 2
            assert probe.running == 0

    run(main())


def test_rerun_from_failure_runs_only_what_did_not_complete() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "a", "type": "probe",
         "config": {"tasks": 5, "fail": ["3"], "fail_times": 1}},
        {"id": "b", "type": "probe", "depends_on": ["a"], "config": {"per_object": True}},
        {"id": "c", "type": "probe", "depends_on": ["b"]},
        {"id": "side", "type": "probe"},
    )  # fmt: skip

    async def main() -> None:
        async with engine(probe) as eng:
            eid = await eng.submit(doc)
            assert (await eng.wait(eid)).status is RunStatus.FAILED
            assert await step_statuses(eng, eid) == {
                "a": RunStatus.FAILED, "b": RunStatus.SKIPPED, "c": RunStatus.SKIPPED,
                "side": RunStatus.COMPLETED,
            }  # fmt: skip
            await eng.rerun(eid)
            rec = await eng.wait(eid)
            assert rec.status is RunStatus.COMPLETED and rec.error is None
            assert set((await step_statuses(eng, eid)).values()) == {RunStatus.COMPLETED}
            attempts = await eng.storage.list_task_attempts(eid, step_id="a")
            assert [(a.task_key, a.attempt) for a in attempts if a.task_key == "3"] == [
                ("3", 1), ("3", 2)]  # fmt: skip
            with pytest.raises(ConflictError):
                await eng.rerun(eid)  # completed is terminal

    run(main())
    assert probe.calls[("a", "0")] == 1 and probe.calls[("a", "3")] == 2
    assert probe.calls[("side", "*")] == 1
    assert sorted(k for s, k in probe.calls if s == "b") == ["0", "1", "2", "3", "4"]


def test_run_conditions_and_skip_conditions() -> None:
    probe = Probe()
    doc = workflow(
        {"id": "work", "type": "probe", "config": {"fail": "*"}},
        {"id": "next", "type": "probe", "depends_on": ["work"]},
        {"id": "after_next", "type": "probe", "depends_on": ["next"]},
        {"id": "alert", "type": "probe", "depends_on": ["work"], "run_if": "on_failure"},
        {"id": "cleanup", "type": "probe", "depends_on": ["after_next"], "run_if": "always"},
        {"id": "only_full", "type": "probe", "skip_if": {"param": "full", "equals": False}},
        {"id": "after_skip", "type": "probe", "depends_on": ["only_full"]},
        {"id": "ok_alert", "type": "probe", "depends_on": ["after_skip"], "run_if": "on_failure"},
        params={"full": False},
    )

    async def main() -> dict[str, RunStatus]:
        async with engine(probe) as eng:
            eid = await eng.submit(doc)
            assert (await eng.wait(eid)).status is RunStatus.FAILED
            return await step_statuses(eng, eid)

    assert run(main()) == {
        "work": RunStatus.FAILED,
        "next": RunStatus.SKIPPED,  # upstream failed
        "after_next": RunStatus.SKIPPED,  # transitively
        "alert": RunStatus.COMPLETED,  # on_failure
        "cleanup": RunStatus.COMPLETED,  # always
        "only_full": RunStatus.SKIPPED,  # skip_if
        "after_skip": RunStatus.COMPLETED,  # a deliberate skip is not a failure
        "ok_alert": RunStatus.SKIPPED,  # nothing failed upstream
    }


def test_illegal_control_requests_raise_conflict() -> None:
    probe = Probe()

    async def main() -> None:
        async with engine(probe) as eng:
            eid = await eng.submit(workflow({"id": "a", "type": "probe"}))
            await eng.wait(eid)
            for action in (eng.pause, eng.resume, eng.cancel):
                with pytest.raises(ConflictError) as info:
                    await action(eid)
                assert info.value.details["current"] == "completed"
            with pytest.raises(NotFoundError):
                await eng.pause("nope")

    run(main())


def test_resume_of_a_running_execution_is_a_conflict() -> None:
    probe = Probe()

    async def main() -> None:
        async with engine(probe) as eng:
            probe.gate = asyncio.Event()
            eid = await eng.submit(workflow({"id": "a", "type": "probe"}))
            await until(lambda: probe.running == 1)
            with pytest.raises(ConflictError):
                await eng.resume(eid)
            probe.gate.set()
            await eng.wait(eid)

    run(main())


@pytest.mark.parametrize("kind", list(Kind))
def test_every_transition_outside_the_table_raises(kind: Kind) -> None:
    statuses = list(RunStatus)
    legal = 0
    for current, target in itertools.product(statuses, statuses):
        if target in TRANSITIONS[kind].get(current, ()):
            check_transition(kind, "x", current, target)
            legal += 1
        else:
            assert not can_transition(kind, current, target)
            with pytest.raises(ConflictError) as info:
                check_transition(kind, "x", current, target)
            assert info.value.details == {
                "kind": kind.value,
                "id": "x",
                "current": current.value,
                "target": target.value,
            }
    assert legal > 0
    for terminal in (RunStatus.COMPLETED,):
        assert all(not can_transition(kind, terminal, t) for t in statuses)
