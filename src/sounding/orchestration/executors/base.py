"""The executor protocol: run one task call and return its result, nothing more.

The engine owns scheduling, limits, timeouts, retries and records; an executor only runs
``call.fn(call.context)`` somewhere and hands back the value or raises the task's exception.
Every executor passes the contract suite in ``tests/orchestration/executor_contract.py``.

Contract:

* ``run`` returns the function's return value, or raises the exception it raised.
* ``async def`` functions and plain (blocking) functions are both accepted; a plain function
  must not block the event loop.
* Cancelling the awaiting ``run`` (``asyncio.Task.cancel``) abandons the call: its result is
  never returned. Cooperative stopping goes through ``call.context.cancel_event``, which the
  engine sets first; an executor running code elsewhere relays it (the Dask executor uses a
  ``distributed.Event`` named after the attempt that its worker-side wrapper watches).
* ``call.resources`` are per-task resource needs (``{"memory_gb": 4}``); a local executor may
  ignore them, a Dask executor passes them as ``resources=`` to ``Client.submit``.
* ``start`` and ``shutdown`` are idempotent; ``shutdown`` waits for nothing still running.

For a remote executor the function and ``call.context`` (minus its ``cancel_event``) must be
picklable; built-in step functions are module-level for that reason. A function wrapped in
:class:`ServerTask` runs in the engine's own process on every executor (a remote one in a
thread of its own): it does its remote work itself, through the executor (the services' scan
steps send their source reads to the workers and write the store here).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sounding.orchestration.steps import TaskContext, TaskFn

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TaskCall:
    fn: TaskFn
    context: TaskContext
    resources: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServerTask:
    """A task function that runs where the engine runs, whatever the executor (see above)."""

    fn: TaskFn

    def __call__(self, ctx: TaskContext) -> Any:
        return self.fn(ctx)


@runtime_checkable
class Executor(Protocol):
    name: str

    async def start(self) -> None: ...

    async def run(self, call: TaskCall) -> Any: ...

    async def shutdown(self) -> None: ...
