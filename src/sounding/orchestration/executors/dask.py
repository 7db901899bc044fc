"""The Dask distributed executor: task calls run on the workers of a Dask cluster.

::

    executor = DaskExecutor("tcp://scheduler:8786")      # an existing cluster
    executor = DaskExecutor(cluster=LocalCluster(...))   # a cluster object (tests, one machine)
    executor = DaskExecutor()                            # starts its own LocalCluster
    executor = DaskExecutor(lazy=True)                   # ... only once a task is submitted

Each attempt is one ``Client.submit`` of :func:`run_task_call` with a unique key
(``pure=False``), the task's ``resources=`` (those some worker advertises) and a picklable copy
of the task context. What goes over the wire:

* the task function, pickled by Dask (module-level functions travel by reference, so the
  workers must be able to import them);
* the context's fields; ``cancel_event`` is rebuilt on the worker.

Cooperative cancel: when the engine sets ``call.context.cancel_event`` the executor sets a
``distributed.Event`` named after the attempt; on the worker a watcher on the worker's event
loop waits on that event (only once the task has run for ``watch_after`` seconds, so short tasks
cost no extra round trip) and sets the worker-side ``cancel_event``. Cancelling the awaiting
``run`` cancels the Dask future. Exceptions raised by the function come back unchanged.

A worker dying mid-task: the scheduler reschedules the task on another worker (up to
``distributed.scheduler.allowed-failures`` times), else ``run`` raises ``KilledWorker`` and the
engine's retry policy applies. Either way the engine records the attempt once.

A :class:`~sounding.orchestration.executors.base.ServerTask` runs here, in a thread of this
process (``server_threads`` of them), not on a worker: it sends its own remote work with
:meth:`call` (the services' scan steps read their sources on the workers that way and write
the store here). ``worker_env`` is set in the processes of an owned ``LocalCluster`` (never
sent over the network).

Connecting (and starting an owned ``LocalCluster``) happens in ``start``, or with ``lazy=True``
on the first ``run``: a process that only reads run records never starts a cluster.

``distributed`` is an optional dependency (the ``dask`` extra), imported when an executor starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from sounding.errors import InvalidInputError
from sounding.orchestration.executors.base import ServerTask, TaskCall
from sounding.orchestration.executors.local import DaemonThreadPool
from sounding.orchestration.steps import TaskAbortedError, TaskContext, TaskFn

logger = logging.getLogger(__name__)

CLEAR_AFTER = 10.0  # seconds a set cancel Event stays for a worker still watching it
EXTRA_HINT = "install the 'dask' extra: pip install 'sounding[dask]'"
_CONTEXT_FIELDS = tuple(f.name for f in dataclasses.fields(TaskContext) if f.name != "cancel_event")


def import_distributed() -> Any:
    """The ``distributed`` module, or an InvalidInputError naming the extra to install."""
    try:
        return importlib.import_module("distributed")
    except ImportError as exc:
        raise InvalidInputError(
            f"The Dask executor needs the 'distributed' package ({exc}); {EXTRA_HINT}"
        ) from exc


def _fields(ctx: TaskContext) -> dict[str, Any]:
    return {name: getattr(ctx, name) for name in _CONTEXT_FIELDS}


class DaskExecutor:
    """Runs task calls on a Dask cluster: ``address`` (``tcp://host:8786``), a ``cluster``
    object, or neither (a ``LocalCluster`` of ``n_workers`` processes is started and owned).
    ``lazy``: ``start`` only checks that ``distributed`` is installed; the first ``run``
    connects (see :meth:`connect`)."""

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        cluster: Any = None,
        n_workers: int | None = None,
        threads_per_worker: int | None = None,
        watch_after: float = 0.2,
        relay_interval: float = 0.05,
        lazy: bool = False,
        worker_env: Mapping[str, str] | None = None,
        server_threads: int = 64,
    ) -> None:
        if address is not None and cluster is not None:
            raise InvalidInputError("Give the Dask executor an address or a cluster, not both")
        self.address = address
        self.cluster = cluster
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.watch_after = watch_after
        self.relay_interval = relay_interval
        self.lazy = lazy
        self.worker_env = dict(worker_env or {})
        self.server_threads = server_threads
        self.client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: DaemonThreadPool | None = None
        self._connecting = asyncio.Lock()  # concurrent first runs connect once
        self._own_cluster: Any = None
        self._inflight: dict[str, threading.Event] = {}
        self._signalled: set[str] = set()
        self._to_clear: list[tuple[float, str]] = []  # (when, key) of Dask Events set
        self._relay: asyncio.Task[None] | None = None
        self._worker_resources: frozenset[str] = frozenset()
        self._resources_checked = 0.0

    # -- lifecycle --

    async def start(self) -> None:
        if self.lazy:
            import_distributed()  # fail now, naming the extra; connect on the first run
            return
        await self.connect()

    @property
    def connected(self) -> bool:
        return self.client is not None

    async def connect(self) -> None:
        """Connect to the scheduler, starting the owned ``LocalCluster`` first if there is no
        address or cluster. Idempotent and safe to call concurrently."""
        async with self._connecting:
            if self.client is None:
                await self._connect()

    async def _connect(self) -> None:
        distributed = import_distributed()
        target: Any = self.address or self.cluster
        if target is None:
            logger.info(
                "No Dask scheduler given: starting a LocalCluster (%s workers)",
                self.n_workers or "default",
            )
            self._own_cluster = await distributed.LocalCluster(
                n_workers=self.n_workers,
                threads_per_worker=self.threads_per_worker,
                processes=True,
                asynchronous=True,
                dashboard_address=":0",
                env=self.worker_env,
            )
            target = self._own_cluster
        try:
            self.client = await distributed.Client(target, asynchronous=True)
        except OSError as exc:
            await self._close_cluster()
            raise InvalidInputError(
                f"Cannot reach the Dask scheduler at {self.scheduler_address or target}: {exc}"
            ) from exc
        await self._workers()
        self._loop = asyncio.get_running_loop()
        self._relay = self._loop.create_task(self._relay_cancels())

    async def shutdown(self) -> None:
        relay, self._relay = self._relay, None
        if relay is not None:
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)
        if self.client is not None:
            await self._clear_events()  # younger ones stay set for workers still watching
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        await self._close_cluster()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self._inflight.clear()
        self._signalled.clear()

    async def _close_cluster(self) -> None:
        cluster, self._own_cluster = self._own_cluster, None
        if cluster is not None:
            await cluster.close()

    # -- running --

    async def run(self, call: TaskCall) -> Any:
        if self.client is None:
            await self.connect()
        if isinstance(call.fn, ServerTask):
            if self._pool is None:
                self._pool = DaemonThreadPool(self.server_threads, "sounding-server-task")
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, call.fn, call.context)
        client = self.client
        c = call.context
        key = f"sounding-{c.step_id}-{c.task_key}-{c.attempt}-{uuid.uuid4().hex}"
        resources = self._resources(call.resources)
        future = client.submit(
            run_task_call, call.fn, _fields(c), key, self.watch_after,
            key=key, pure=False, resources=resources or None,
        )  # fmt: skip
        self._inflight[key] = c.cancel_event
        try:
            return await future
        except asyncio.CancelledError:
            self._signalled.add(key)  # abandoned: ask the worker to stop it, then forget it
            try:
                await asyncio.shield(self._abandon(key, future))
            except Exception:  # a lost scheduler has dropped the task with its futures
                logger.warning("Could not ask Dask to stop abandoned task %s", key, exc_info=True)
            raise
        finally:
            self._inflight.pop(key, None)
            if key in self._signalled:  # the worker may still be looking: clear it later
                self._signalled.discard(key)
                self._to_clear.append((time.monotonic() + CLEAR_AFTER, key))

    def call(self, fn: Any, *args: Any, label: str = "call", timeout: float | None = None) -> Any:
        """Run ``fn(*args)`` on a worker and wait for its value; for a thread of this process
        (a :class:`ServerTask`), never the engine's loop. A worker dying mid-call has the call
        run again on another (Dask's ``allowed-failures``); ``fn`` raising raises here."""
        loop = self._loop
        if loop is None or self.client is None:
            raise RuntimeError("The Dask executor is not connected")
        if loop.is_running() and _on_loop(loop):
            raise RuntimeError("DaskExecutor.call blocks: call it from a thread, not the loop")
        key = f"sounding-{label}-{uuid.uuid4().hex}"  # the label shows in Dask's dashboard

        async def submit() -> Any:
            return await self.client.submit(fn, *args, key=key, pure=False)

        return asyncio.run_coroutine_threadsafe(submit(), loop).result(timeout)

    async def _abandon(self, key: str, future: Any) -> None:
        await self._event(key).set()
        await future.cancel()

    def _event(self, key: str) -> Any:
        return import_distributed().Event(cancel_event_name(key), client=self.client)

    async def _relay_cancels(self) -> None:
        """Turn each engine-side ``cancel_event`` that got set into the attempt's Dask Event."""
        while True:
            await asyncio.sleep(self.relay_interval)
            await self._clear_events()
            if time.monotonic() - self._resources_checked > 5.0:
                try:
                    await self._workers()
                except Exception:  # the scheduler is away: keep the resources last seen
                    logger.debug("Could not refresh the Dask workers' resources", exc_info=True)
            for key, event in list(self._inflight.items()):
                if key in self._signalled or not event.is_set():
                    continue
                self._signalled.add(key)
                try:
                    await self._event(key).set()
                except Exception:  # a lost scheduler fails the futures; nothing to relay
                    logger.warning("Could not relay the cancel of %s to Dask", key, exc_info=True)

    async def _clear_events(self) -> None:
        now = time.monotonic()
        while self._to_clear and self._to_clear[0][0] <= now:
            _, key = self._to_clear.pop(0)
            try:
                await self._event(key).clear()
            except Exception:  # a leftover Event costs the scheduler a little memory, no more
                logger.debug("Could not clear the Dask cancel event of %s", key, exc_info=True)

    def _resources(self, wanted: Mapping[str, float]) -> dict[str, float]:
        """Resources some worker advertises; others would leave the task unschedulable."""
        if not wanted:
            return {}
        ignored = sorted(set(wanted) - self._worker_resources)
        if ignored:
            logger.debug("No Dask worker advertises resources %s; not requesting them", ignored)
        return {k: float(v) for k, v in wanted.items() if k in self._worker_resources}

    async def _workers(self) -> dict[str, Any]:
        """Per-worker facts from the scheduler (also refreshes the advertised resources)."""
        identity = await self.client.scheduler.identity(n_workers=-1)
        workers: dict[str, Any] = identity.get("workers", {})
        self._worker_resources = frozenset(
            name for w in workers.values() for name in (w.get("resources") or {})
        )
        self._resources_checked = time.monotonic()
        return workers

    # -- state --

    @property
    def scheduler_address(self) -> str | None:
        if self.client is not None:
            return str(self.client.scheduler.address)
        return self.address

    async def describe(self) -> dict[str, Any]:
        """Name, scheduler address and the workers connected to the scheduler now."""
        workers = None
        if self.client is not None:
            workers = len(await self._workers())
        return {
            "name": self.name,
            "scheduler": self.scheduler_address,
            "workers": workers,
            "local_cluster": self._own_cluster is not None,
        }


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def cancel_event_name(key: str) -> str:
    return f"{key}-cancel"


def run_task_call(fn: TaskFn, fields: dict[str, Any], key: str, watch_after: float) -> Any:
    """Runs on a Dask worker: rebuild the task context, watch the attempt's cancel Event,
    call the function (an ``async def`` one on a private event loop) and return its value."""
    ctx = TaskContext(**fields)
    stop = _watch_cancel(key, ctx.cancel_event, watch_after)
    try:
        result = fn(ctx)
        if inspect.isawaitable(result):
            result = asyncio.run(_until_cancelled(result, ctx))
        return result
    except Exception:
        raise
    except BaseException as exc:  # SystemExit, KeyboardInterrupt: fail the task, not the worker
        raise TaskAbortedError.of(exc) from None
    finally:
        stop()


async def _until_cancelled(awaitable: Any, ctx: TaskContext) -> Any:
    """Await a coroutine; once the attempt's cancel event is set it is cancelled (abandoned
    calls do not hold a worker thread for ever)."""
    job = asyncio.ensure_future(awaitable)
    while not job.done():
        await asyncio.wait([job], timeout=0.05)
        if ctx.cancelled and not job.done():
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job
            ctx.raise_if_cancelled()
    return job.result()


def _watch_cancel(key: str, local: threading.Event, after: float) -> Any:
    """On the worker's event loop: after ``after`` seconds, long-poll the attempt's Event and
    set ``local`` once it is set. Returns a function that stops the watcher."""
    try:
        worker = import_distributed().get_worker()
    except ValueError:  # not on a worker (called directly): nothing to relay
        return lambda: None
    loop = worker.loop.asyncio_loop
    name = cancel_event_name(key)

    async def watch() -> None:
        await asyncio.sleep(after)
        while not local.is_set():
            if await worker.scheduler.event_wait(name=name, timeout=1.0):
                local.set()

    handle = asyncio.run_coroutine_threadsafe(watch(), loop)

    def stop() -> None:
        loop.call_soon_threadsafe(handle.cancel)

    return stop
