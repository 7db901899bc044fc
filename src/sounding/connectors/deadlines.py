"""Deadlines on everything a source is asked: a hung source fails, it never hangs a scan.

Connecting is limited by the drivers' connect timeouts. Every statement afterwards is limited
by the source's ``statement_timeout`` (seconds; the ``SOUNDING_SOURCE_STATEMENT_TIMEOUT``
default, or the source's own option), enforced at two levels:

- by the engine where it can (PostgreSQL ``statement_timeout``, MariaDB
  ``max_statement_time``, MySQL ``max_execution_time``): a slow statement is cancelled and
  the connection stays usable;
- on the client, for a source that answers nothing at all (frozen, or a network that drops
  packets): a :class:`Watchdog` timer interrupts the statement (SQLite and DuckDB
  ``interrupt()``) or shuts the connection's socket down (PostgreSQL), shortly after the
  engine's own limit; PyMySQL's ``read_timeout`` does the same for MariaDB/MySQL.

:func:`timeout_error` builds the one error every connector raises then:
"Source 'x' did not answer within 5 s (statement timeout); ...".
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sounding.errors import SourceTimeoutError

logger = logging.getLogger(__name__)

DEFAULT_STATEMENT_TIMEOUT = 300.0
"""Seconds; the default of ``SOUNDING_SOURCE_STATEMENT_TIMEOUT``."""

TIMED_OUT = "sounding_timed_out"
"""Attribute set on a driver exception raised because a watchdog fired."""


def grace(timeout: float) -> float:
    """How long after the engine's own limit the client gives up on a silent source."""
    return min(5.0, max(0.5, timeout / 4))


def client_deadline(timeout: float) -> float:
    return timeout + grace(timeout)


@dataclass(order=True)
class Watch:
    """One armed deadline; ``fired`` says whether its action ran."""

    when: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    fired: bool = field(default=False, compare=False)
    done: bool = field(default=False, compare=False)


class Watchdog:
    """One daemon thread running the actions of expired deadlines (no thread per statement)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[Watch] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, action: Callable[[], None]) -> Watch:
        watch = Watch(time.monotonic() + seconds, next(self._seq), action)
        with self._cond:
            heapq.heappush(self._heap, watch)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="sounding-source-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return watch

    def disarm(self, watch: Watch) -> bool:
        """Stop the watch; True if its action had already run (the statement timed out)."""
        with self._cond:
            watch.done = True
            return watch.fired

    @contextmanager
    def watch(self, seconds: float, action: Callable[[], None]) -> Iterator[Watch]:
        armed = self.arm(seconds, action)
        try:
            yield armed
        finally:
            self.disarm(armed)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                first = self._heap[0]
                delay = first.when - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                first.fired = True
                try:  # under the lock: a statement disarming now waits, then sees ``fired``
                    first.action()
                except Exception:  # the statement may have just finished; nothing to stop
                    logger.debug("A source watchdog action failed", exc_info=True)


WATCHDOG = Watchdog()


def shutdown_socket(fd: int) -> None:
    """Shut a connection's socket down (both ways) so a read blocked on it returns at once;
    the driver then reports the connection lost. The descriptor stays the driver's."""
    if fd < 0:
        return
    dup = socket.socket(fileno=os.dup(fd))
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass
    finally:
        dup.close()


def seconds_text(seconds: float) -> str:
    return f"{seconds:g} s"


def timeout_error(source: str, timeout: float, *, answered: bool) -> SourceTimeoutError:
    """The error of a statement that ran out of time. ``answered``: the engine cancelled it
    (the source is up but slow); otherwise nothing came back at all (frozen or cut off)."""
    if answered:
        hint = (
            "the engine cancelled a statement that ran longer; raise the source option "
            "statement_timeout (or SOUNDING_SOURCE_STATEMENT_TIMEOUT) if its queries are slow"
        )
    else:
        hint = (
            "nothing came back, so the connection was closed; check that the source is up "
            "and reachable"
        )
    return SourceTimeoutError(
        f"Source {source!r} did not answer within {seconds_text(timeout)} "
        f"(statement timeout); {hint}",
        source=source,
        timeout_seconds=timeout,
        answered=answered,
    )


def whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))
