"""The default executor: coroutines on the engine's event loop, blocking functions in threads."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sounding.orchestration.executors.base import TaskCall

logger = logging.getLogger(__name__)


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object whose __call__ is async
    )


class LocalExecutor:
    """``async def`` task functions run on the loop (an I/O wait costs no thread); plain
    functions run in a pool of ``max_workers`` threads so they never block the loop.

    Threads cannot be killed: a cancelled or timed-out blocking function keeps its thread until
    it returns, so such functions should check ``ctx.cancelled`` between units of work.
    """

    name = "local"

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    @property
    def workers(self) -> int:
        """Threads for blocking functions (ThreadPoolExecutor's default when not given)."""
        return self.max_workers or min(32, (os.cpu_count() or 1) + 4)

    async def start(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.max_workers, thread_name_prefix="sounding-task"
            )

    async def run(self, call: TaskCall) -> Any:
        if _is_async(call.fn):
            return await call.fn(call.context)
        if self._pool is None:
            await self.start()
        assert self._pool is not None
        loop = asyncio.get_running_loop()
        job = functools.partial(contextvars.copy_context().run, call.fn, call.context)
        result = await loop.run_in_executor(self._pool, job)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
