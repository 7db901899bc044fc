"""SQL parsing for the server, in worker processes: a fixed number of them, each with a hard
deadline.

sqlglot is CPU-bound, partly compiled code that holds the GIL for long stretches: parsed in
the server process, four 1 MB texts stalled every other request for seconds and left its
memory grown. Here each parse runs in one of ``heavy_requests`` worker processes (started on
first use, recycled after a number of parses so their memory goes back to the system).

A request waits up to ``heavy_wait_seconds`` for a free worker, behind at most
``heavy_requests`` others, so waiting never ties up more server threads than that; after the
wait, or at once when that many wait already, it gets :class:`BusyError` (503 with
``Retry-After``). A parse checks its deadline between statements, and a worker still busy
past the deadline (one huge statement) is killed and replaced.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sounding.config import Settings
from sounding.domain.lineage import LineageResult
from sounding.errors import BusyError
from sounding.services.context import Context
from sounding.services.sql_limits import SqlLimits, parse_within, ready, watch_parent

logger = logging.getLogger(__name__)

PARSES_PER_WORKER = 50
"""A worker process is replaced after this many parses (its memory is returned)."""

KILL_GRACE_SECONDS = 2.0
"""How long past the deadline a worker may run before it is killed."""

START_SECONDS = 60.0
"""How long a new worker process may take to start and import the parser."""


class _Worker:
    """One worker process (a one-process pool, so it can be killed alone)."""

    def __init__(self) -> None:
        self.pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=PARSES_PER_WORKER,
            initializer=watch_parent,
            initargs=(os.getpid(),),
        )

    def kill(self) -> None:
        for process in list(self.pool._processes.values()):  # no public way to stop one task
            process.kill()
        self.pool.shutdown(wait=False, cancel_futures=True)


class SqlWorkers:
    """``size`` worker processes handed out one request at a time."""

    def __init__(self, settings: Settings) -> None:
        self.size = settings.heavy_requests
        self.wait_seconds = settings.heavy_wait_seconds
        self.limits = SqlLimits.from_settings(settings)
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.size):
            self._idle.put(None)  # started on first use
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._waiting = 0
        self._closed = False

    def parse(
        self, sql: str, dialect: str, schema: Mapping[str, Any] | None = None
    ) -> LineageResult:
        """Lineage of ``sql`` from a worker; raises what the parse raises, the deadline's
        :class:`InvalidInputError`, or :class:`BusyError` when no worker frees up in time."""
        worker = self._acquire()
        try:
            worker = worker or self._start()
            future = worker.pool.submit(parse_within, sql, dialect, schema, self.limits)
            try:
                return future.result(timeout=self.limits.seconds + KILL_GRACE_SECONDS)
            except FutureTimeout:
                logger.warning("A SQL parse ran past its deadline: killing its worker")
                self._retire(worker)
                worker = None
                self.limits.deadline_passed()
            except BrokenProcessPool:  # the worker died (killed from outside, out of memory)
                logger.warning("A SQL worker process died: starting another")
                self._retire(worker)
                worker = None
                raise BusyError(
                    "The process parsing this SQL stopped; retry, with less SQL if it happens "
                    "again",
                    retry_after=1,
                ) from None
        finally:
            self._idle.put(worker)
        raise AssertionError("unreachable")  # deadline_passed() raises

    def _acquire(self) -> _Worker | None:
        """An idle worker (None: not started yet). At most ``size`` requests wait for one, each
        at most ``wait_seconds`` (so waiting never ties up more than ``size`` server threads);
        beyond that, or after the wait, :class:`BusyError`."""
        with self._lock:
            queued = self._waiting < self.size or not self._idle.empty()
            if queued:
                self._waiting += 1
        try:
            if queued:
                return self._idle.get(timeout=self.wait_seconds)
        except queue.Empty:
            pass
        finally:
            if queued:
                with self._lock:
                    self._waiting -= 1
        raise BusyError(
            f"The server is busy parsing SQL for {self.size} other requests "
            "(setting SOUNDING_HEAVY_REQUESTS); retry shortly",
            retry_after=max(1, round(self.limits.seconds / 2)),
            limit=self.size,
            setting="SOUNDING_HEAVY_REQUESTS",
        )

    def _start(self) -> _Worker:
        """A new worker, up and ready: its start does not count against a parse's deadline."""
        worker = _Worker()
        with self._lock:
            self._all.append(worker)
        worker.pool.submit(ready).result(timeout=START_SECONDS)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def shutdown(self) -> None:
        """Stop every worker now: they hold nothing but parses nobody waits for any more."""
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.kill()


def workers(ctx: Context) -> SqlWorkers:
    """The context's SQL workers (one set per server, created on first use)."""
    return ctx.sql_workers
