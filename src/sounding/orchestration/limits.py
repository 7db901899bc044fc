"""Admission control: which queued task starts next, within every limit it is subject to.

A task waits for a :class:`Ticket` naming the :class:`Constraint`s it uses and how much of each
(global concurrency, its execution, its source, a pool's slots, a resource). The dispatcher
starts tickets highest priority first, FIFO among equal priorities, and never lets a constraint
go over capacity. A ticket that does not fit parks on the constraint that blocked it, so a busy
source never holds up tasks of other sources (no head-of-line blocking); when that constraint
frees capacity, its best parked tickets go back into the ready queue. Every operation costs
O(log n) per ticket moved, so 10,000 queued tasks on one source do not make each release scan
them all.

A ticket needing more than a constraint's whole capacity (a 4-slot task in a 2-slot pool) is
let in when the constraint is otherwise idle, so it runs alone instead of waiting forever.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)

QUEUED, STARTED, DONE = 0, 1, 2


class Constraint:
    """A named capacity (None = unlimited); ``paused`` admits nothing new. ``peak`` is the most
    ever in use at once (how a benchmark shows a source never went over its limit)."""

    __slots__ = ("capacity", "name", "paused", "peak", "used", "waiting")

    def __init__(self, name: str, capacity: float | None = None) -> None:
        self.name = name
        self.capacity = capacity
        self.used = 0.0
        self.peak = 0.0
        self.paused = False
        self.waiting: list[Ticket] = []

    def fits(self, amount: float) -> bool:
        if self.paused:
            return False
        if self.capacity is None or self.used + amount <= self.capacity:
            return True
        return self.used == 0 and self.capacity > 0  # oversized ticket runs alone

    def free(self) -> float:
        if self.paused:
            return 0.0
        return float("inf") if self.capacity is None else self.capacity - self.used

    def __repr__(self) -> str:
        return f"Constraint({self.name!r}, used={self.used}, capacity={self.capacity})"


class Ticket:
    __slots__ = ("demands", "order", "payload", "state")

    def __init__(
        self, order: tuple[int, int], demands: Sequence[tuple[Constraint, float]], payload: Any
    ) -> None:
        self.order = order
        self.demands = demands
        self.payload = payload
        self.state = QUEUED

    def __lt__(self, other: Ticket) -> bool:
        return self.order < other.order


class Dispatcher:
    """Queues tickets and calls ``on_start(ticket)`` when one is admitted (synchronously)."""

    def __init__(self, max_concurrency: int | None, on_start: Callable[[Ticket], None]) -> None:
        self.global_limit = Constraint("global", max_concurrency)
        self._on_start = on_start
        self._ready: list[Ticket] = []
        self._seq = itertools.count()
        self._constraints: dict[str, Constraint] = {"global": self.global_limit}
        self._pumping = False

    def constraint(self, name: str, capacity: float | None = None) -> Constraint:
        """The constraint called ``name``, created with ``capacity`` if new."""
        found = self._constraints.get(name)
        if found is None:
            found = self._constraints[name] = Constraint(name, capacity)
        return found

    def forget(self, name: str) -> None:
        """Drop an idle constraint (an execution's, once it finished)."""
        found = self._constraints.get(name)
        if found is not None and found.used == 0 and all(t.state == DONE for t in found.waiting):
            del self._constraints[name]

    def submit(
        self, priority: int, demands: Sequence[tuple[Constraint, float]], payload: Any
    ) -> Ticket:
        ticket = Ticket((-priority, next(self._seq)), demands, payload)
        heapq.heappush(self._ready, ticket)
        self.pump()
        return ticket

    def withdraw(self, ticket: Ticket) -> bool:
        """Take a queued ticket back (it never starts). False if it started already."""
        if ticket.state != QUEUED:
            return False
        ticket.state = DONE  # lazily dropped from whichever heap holds it
        return True

    def release(self, ticket: Ticket) -> None:
        """A started ticket finished: give its capacity back and start what now fits."""
        if ticket.state != STARTED:
            return
        ticket.state = DONE
        for constraint, amount in ticket.demands:
            constraint.used -= amount
            self._wake(constraint)
        self.pump()

    def set_capacity(self, constraint: Constraint, capacity: float | None) -> None:
        constraint.capacity = capacity
        self._wake(constraint)
        self.pump()

    def set_paused(self, constraint: Constraint, paused: bool) -> None:
        constraint.paused = paused
        if not paused:
            self._wake(constraint)
            self.pump()

    def pump(self) -> None:
        """Start every ready ticket that fits, best first; park the others on their blocker."""
        if self._pumping:
            return
        self._pumping = True
        try:
            while self._ready:
                ticket = heapq.heappop(self._ready)
                if ticket.state != QUEUED:
                    continue
                blocker = next((c for c, amt in ticket.demands if not c.fits(amt)), None)
                if blocker is None:
                    self._start(ticket)
                    continue
                heapq.heappush(blocker.waiting, ticket)
                # the ticket may have been woken by another constraint that still has room:
                # let that constraint offer its room to its next parked ticket
                for other, _ in ticket.demands:
                    if other is not blocker and other.waiting and other.free() > 0:
                        self._wake(other)
        finally:
            self._pumping = False

    def _start(self, ticket: Ticket) -> None:
        for constraint, amount in ticket.demands:
            constraint.used += amount
            if constraint.used > constraint.peak:
                constraint.peak = constraint.used
        ticket.state = STARTED
        try:
            self._on_start(ticket)
        except Exception:
            logger.exception("Starting a task failed; releasing its capacity")
            self.release(ticket)

    def _wake(self, constraint: Constraint) -> None:
        """Move as many of the best parked tickets as fit in the free room back to ready."""
        room = constraint.free()
        waiting = constraint.waiting
        while waiting and room > 0:
            ticket = heapq.heappop(waiting)
            if ticket.state != QUEUED:
                continue
            heapq.heappush(self._ready, ticket)
            room -= next((amt for c, amt in ticket.demands if c is constraint), 1.0)

    def snapshot(self) -> dict[str, dict[str, float | None]]:
        """Used and capacity per constraint, for diagnostics and tests."""
        return {n: {"used": c.used, "capacity": c.capacity} for n, c in self._constraints.items()}
