"""The executor contract: every ``Executor`` implementation must pass these tests.

Subclass with an ``executor`` fixture returning a fresh, not yet started executor with at least
two workers. Task functions are module-level so a remote executor can pickle them.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from sounding.orchestration import Executor, TaskCall, TaskContext
from tests.orchestration.helpers import run


def ctx(key: str = "k", **config: Any) -> TaskContext:
    return TaskContext("e1", "s", key, 1, config, {"p": 1})


async def async_double(c: TaskContext) -> Any:
    await asyncio.sleep(0)
    return {"key": c.task_key, "twice": 2 * c.params["p"]}


def blocking_identity(c: TaskContext) -> Any:
    began = time.monotonic()  # one clock for every process of the machine (Linux)
    time.sleep(float(c.config.get("seconds", 0)))
    return {"key": c.task_key, "thread": threading.get_ident(), "ran": (began, time.monotonic())}


def blocking_fails(c: TaskContext) -> Any:
    raise LookupError(f"no {c.task_key}")


async def async_fails(c: TaskContext) -> Any:
    raise KeyError(c.task_key)


def blocking_exits(c: TaskContext) -> Any:
    raise SystemExit(3)


async def async_exits(c: TaskContext) -> Any:
    raise SystemExit(4)


async def async_forever(c: TaskContext) -> Any:
    await asyncio.sleep(3600)


def blocking_until_cancelled(c: TaskContext) -> Any:
    while not c.cancelled:
        time.sleep(0.005)
    return "stopped"


class ExecutorContract:
    @pytest.fixture
    def executor(self) -> Executor:
        raise NotImplementedError("subclasses provide a fresh executor")

    @staticmethod
    def _run(executor: Executor, body: Any) -> Any:
        async def main() -> Any:
            await executor.start()
            await executor.start()  # idempotent
            try:
                return await body()
            finally:
                await executor.shutdown()
                await executor.shutdown()

        return run(main())

    def test_has_a_name_and_satisfies_the_protocol(self, executor: Executor) -> None:
        assert isinstance(executor, Executor) and executor.name

    def test_system_exit_in_a_task_is_raised_by_run_and_the_executor_goes_on(
        self, executor: Executor
    ) -> None:
        async def body() -> Any:
            raised = []
            for fn in (blocking_exits, async_exits):
                try:
                    await executor.run(TaskCall(fn, ctx(fn.__name__)))
                except BaseException as exc:
                    raised.append(str(exc))
            after = await executor.run(TaskCall(blocking_identity, ctx("after")))
            return raised, after

        raised, after = self._run(executor, body)
        assert len(raised) == 2 and "3" in raised[0] and "4" in raised[1]
        assert after["key"] == "after"  # no worker or thread was lost

    def test_runs_async_and_blocking_functions(self, executor: Executor) -> None:
        async def body() -> Any:
            a = await executor.run(TaskCall(async_double, ctx("a")))
            b = await executor.run(TaskCall(blocking_identity, ctx("b")))
            return a, b

        a, b = self._run(executor, body)
        assert a == {"key": "a", "twice": 2} and b["key"] == "b"

    def test_blocking_functions_do_not_block_the_loop_and_run_in_parallel(
        self, executor: Executor
    ) -> None:
        async def body() -> tuple[float, int, list[Any]]:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            t = asyncio.create_task(ticker())
            began = time.monotonic()
            calls = [TaskCall(blocking_identity, ctx(str(i), seconds=0.2)) for i in range(2)]
            out = await asyncio.gather(*(executor.run(c) for c in calls))
            t.cancel()
            return time.monotonic() - began, ticks, out

        _, ticks, out = self._run(executor, body)
        # the two 0.2 s calls overlapped: each began before the other ended (not a bound on the
        # elapsed time, which parallel test workers on a loaded machine would stretch)
        (began_0, ended_0), (began_1, ended_1) = out[0]["ran"], out[1]["ran"]
        assert began_0 < ended_1 and began_1 < ended_0, out
        assert ticks >= 8  # the loop kept ticking meanwhile
        assert out[0]["thread"] != threading.get_ident()

    def test_exceptions_propagate_unchanged(self, executor: Executor) -> None:
        async def body() -> None:
            with pytest.raises(LookupError, match="no x"):
                await executor.run(TaskCall(blocking_fails, ctx("x")))
            with pytest.raises(KeyError):
                await executor.run(TaskCall(async_fails, ctx("y")))

        self._run(executor, body)

    def test_cancelling_the_awaiting_task_abandons_the_call(self, executor: Executor) -> None:
        async def body() -> float:
            job = asyncio.create_task(executor.run(TaskCall(async_forever, ctx())))
            await asyncio.sleep(0.02)
            began = time.monotonic()
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            return time.monotonic() - began

        assert self._run(executor, body) < 0.5

    def test_cancel_event_reaches_blocking_functions(self, executor: Executor) -> None:
        async def body() -> Any:
            c = ctx()
            job = asyncio.create_task(executor.run(TaskCall(blocking_until_cancelled, c)))
            await asyncio.sleep(0.05)
            c.cancel_event.set()
            return await asyncio.wait_for(job, 2)

        assert self._run(executor, body) == "stopped"
