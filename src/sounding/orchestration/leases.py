"""Several servers on one store: each execution is owned by one server through a lease.

The server that starts an execution owns it. Its :class:`LeaseKeeper` (a thread of its own,
so a busy event loop never lets a lease lapse) renews every lease it holds on each heartbeat
(``heartbeat_seconds``); a lease not renewed for ``lease_seconds`` has expired, and another
server claims the execution with a compare-and-set on the lease's ``epoch`` (exactly one
claimer wins) and resumes it as a restart would (:meth:`Engine._load`): completed tasks keep
their results, attempts the dead owner left running are closed and run again, a paused
execution stays paused.

A server that finds on a heartbeat that it no longer owns an execution it runs (it stalled
past its lease and was taken over, or could not reach the store for that long) abandons it at
once: nothing more is written for it from this server (:class:`FencedStorage`).

Control requests (pause, resume, cancel) for an execution another server runs are written on
its lease; the owner carries them out on its next heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sounding.domain.leases import Beat, Claimable, ServerIdentity
from sounding.domain.orchestration import utcnow
from sounding.errors import ConflictError
from sounding.orchestration.storage import RunStorage

logger = logging.getLogger(__name__)

__all__ = ["Beat", "Claimable", "FencedStorage", "LeaseKeeper", "LeaseStore", "ServerIdentity"]


class LeaseStore(Protocol):
    """Where leases live (``sounding.store.run_leases.SqlLeases``). Plain blocking calls: the
    engine runs them in a worker thread, the keeper in its own."""

    @property
    def single_server(self) -> bool:
        """True when only one server may use the store (SQLite): a starting server then
        claims every unfinished execution at once instead of waiting for leases to expire."""
        ...

    def register(self, me: ServerIdentity, now: datetime) -> None: ...

    def acquire(self, me: str, execution_id: str, now: datetime, expires_at: datetime) -> None:
        """Own ``execution_id`` (one this server just created or re-runs)."""
        ...

    def beat(
        self,
        me: str,
        now: datetime,
        expires_at: datetime,
        *,
        scan: bool,
        stale_before: datetime,
        force: bool = False,
    ) -> Beat:
        """Renew this server's leases until ``expires_at``; list what it owns, and with
        ``scan`` the unfinished executions it may claim: leases expired or released, and
        executions without a lease created before ``stale_before`` (``force``: every
        unfinished execution another server holds, and every one without a lease)."""
        ...

    def claim(
        self, me: str, found: Claimable, now: datetime, expires_at: datetime, *, force: bool
    ) -> bool:
        """Take ``found`` over if its lease is still what was seen (and expired unless
        ``force``); True when this server won it."""
        ...

    def release(self, me: str, execution_ids: list[str], now: datetime) -> None: ...

    def request(self, execution_id: str, action: str) -> bool:
        """Ask the owner of an unfinished execution to pause, resume or cancel it; False
        when the execution has no lease."""
        ...

    def clear_request(self, execution_id: str, action: str) -> None: ...

    def stop(self, me: str, now: datetime) -> None:
        """A clean stop: release every lease held, so another server takes over at once."""
        ...


class LeaseKeeper:
    """The heartbeat thread of one engine: renew, then hand what it found to the engine's
    loop (``on_beat(beat, held)``, with the executions held when the beat began)."""

    def __init__(
        self,
        store: LeaseStore,
        me: ServerIdentity,
        loop: asyncio.AbstractEventLoop,
        *,
        heartbeat: float,
        lease: float,
        takeover: bool,
        held: Callable[[], frozenset[str]],
        on_beat: Callable[[Beat, frozenset[str]], None],
    ) -> None:
        self.store, self.me, self.loop = store, me, loop
        self.heartbeat, self.lease, self.takeover = heartbeat, lease, takeover
        self._held, self._on_beat = held, on_beat
        self._stop = threading.Event()
        self._last_ok = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="sounding-leases", daemon=True)

    def start(self) -> None:
        self._last_ok = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.heartbeat + 30)

    def _run(self) -> None:
        while not self._stop.wait(self.heartbeat):
            self.beat_once()

    def beat_once(self) -> None:
        held = self._held()
        now = utcnow()
        try:
            beat = self.store.beat(
                self.me.id,
                now,
                now + timedelta(seconds=self.lease),
                scan=self.takeover,
                stale_before=now - timedelta(seconds=self.lease),
            )
        except Exception as exc:  # the store is away: keep trying, fence once leases lapsed
            logger.warning("Server %s could not renew its leases: %s", self.me.id, exc)
            if time.monotonic() - self._last_ok <= self.lease:
                return
            logger.error(
                "Server %s could not renew its leases for %.0f s: other servers may take its "
                "executions over, so it stops running them",
                self.me.id,
                self.lease,
            )
            beat = Beat()
        else:
            self._last_ok = time.monotonic()
        try:
            self.loop.call_soon_threadsafe(self._on_beat, beat, held)
        except RuntimeError:  # the loop is closed: the engine is gone
            self._stop.set()


_READS = frozenset({"get_execution", "list_executions", "get_steps", "list_task_attempts",
                    "list_events"})  # fmt: skip


class FencedStorage:
    """The run storage seen by the driver of an execution this server lost to another: reads
    pass through, every write is refused, so the abandoned driver changes nothing."""

    def __init__(self, inner: RunStorage, execution_id: str) -> None:
        self._inner = inner
        self._execution_id = execution_id

    @classmethod
    def of(cls, inner: RunStorage, execution_id: str) -> RunStorage:
        return cast(RunStorage, cls(inner, execution_id))

    def __getattr__(self, name: str) -> Any:
        if name in _READS or name.startswith("_"):
            return getattr(self._inner, name)
        execution_id = self._execution_id

        async def refused(*_: Any, **__: Any) -> Any:
            raise ConflictError(
                f"Execution '{execution_id}' is owned by another server now: "
                f"this server no longer writes for it ({name})",
                execution_id=execution_id,
            )

        return refused


def spawn_background(
    loop: asyncio.AbstractEventLoop, jobs: set[asyncio.Task[Any]], coro: Coroutine[Any, Any, Any]
) -> asyncio.Task[Any]:
    """Run ``coro`` on ``loop``, kept in ``jobs`` until it ends; its failure is logged."""
    job = loop.create_task(coro)
    jobs.add(job)

    def done(finished: asyncio.Task[Any]) -> None:
        jobs.discard(finished)
        if not finished.cancelled() and (exc := finished.exception()) is not None:
            logger.error("Lease work failed", exc_info=exc)

    job.add_done_callback(done)
    return job
