"""The default executor: coroutines on the engine's event loop, blocking functions in threads."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures import Future
from typing import Any, ParamSpec, TypeVar

from sounding.orchestration.executors.base import TaskCall

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class DaemonThreadPool(FuturesExecutor):
    """A thread pool whose threads never keep the process alive.

    ``concurrent.futures.ThreadPoolExecutor`` joins its threads when the interpreter exits,
    so one task blocked in foreign code would stop the server from exiting on SIGTERM. Here
    workers are daemon threads: an abandoned call dies with the process. A call's exception
    of any kind (``SystemExit`` too) goes to its future; the thread carries on.
    """

    def __init__(self, max_workers: int, thread_name_prefix: str = "sounding-task") -> None:
        self.max_workers = max_workers
        self._prefix = thread_name_prefix
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new calls after shutdown")
            self._queue.put((future, functools.partial(fn, *args, **kwargs)))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self.max_workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._prefix}_{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, call = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as exc:  # SystemExit ends the call, not the worker
                    future.set_exception(exc)
            del item, future, call
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join()


def _is_async(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object whose __call__ is async
    )


class LocalExecutor:
    """``async def`` task functions run on the loop (an I/O wait costs no thread); plain
    functions run in a pool of ``max_workers`` threads so they never block the loop.

    Threads cannot be killed: a cancelled or timed-out blocking function keeps its thread until
    it returns, so such functions should check ``ctx.cancelled`` between units of work. The
    threads are daemons (:class:`DaemonThreadPool`): a stuck one never delays the process's
    exit.
    """

    name = "local"

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers
        self._pool: DaemonThreadPool | None = None

    @property
    def workers(self) -> int:
        """Threads for blocking functions (ThreadPoolExecutor's default when not given)."""
        return self.max_workers or min(32, (os.cpu_count() or 1) + 4)

    async def start(self) -> None:
        if self._pool is None:
            self._pool = DaemonThreadPool(self.workers, thread_name_prefix="sounding-task")

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
