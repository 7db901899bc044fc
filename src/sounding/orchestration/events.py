"""Live events for subscribers (SSE, WebSocket, CLI progress bars) and the progress maths.

Status events are also in the durable event log (``RunStorage.list_events``) with a ``seq``;
``progress`` events (per-step done/total, percentage, ETA) are live only. A subscriber that
falls behind loses events rather than slowing the engine (``Subscription.dropped`` counts them)
and can catch up on status events from the log with ``after=<last seq seen>``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from types import TracebackType

from sounding.domain.orchestration import RunEvent

logger = logging.getLogger(__name__)

Listener = Callable[[RunEvent], None]


class Subscription:
    """An async iterator of events, optionally of one execution only."""

    def __init__(self, bus: EventBus, execution_id: str | None, maxsize: int) -> None:
        self.execution_id = execution_id
        self.dropped = 0
        self._bus = bus
        self._queue: asyncio.Queue[RunEvent] = asyncio.Queue(maxsize)

    def offer(self, event: RunEvent) -> None:
        if self.execution_id is not None and event.execution_id != self.execution_id:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            if not self.dropped:  # once per subscription: the rest would flood the log
                logger.warning(
                    "A subscriber to %s fell %d events behind; dropping events until it catches up",
                    self.execution_id or "all executions",
                    self._queue.maxsize,
                )
            self.dropped += 1

    async def get(self, timeout: float | None = None) -> RunEvent:
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    def get_nowait(self) -> RunEvent | None:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[RunEvent]:
        return self

    async def __anext__(self) -> RunEvent:
        return await self._queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Fan events out to queue subscriptions and synchronous listener callbacks."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._listeners: list[Listener] = []

    @property
    def active(self) -> bool:
        return bool(self._subscriptions or self._listeners)

    def subscribe(self, execution_id: str | None = None, maxsize: int = 10_000) -> Subscription:
        sub = Subscription(self, execution_id, maxsize)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` for every event; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: RunEvent) -> None:
        for sub in self._subscriptions:
            sub.offer(event)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("Event listener %r failed", listener)


def fraction_done(finished: int, total: int, total_known: bool) -> float:
    """0..1; while the total is still growing (streamed fan-out) it counts one more task."""
    denominator = total if total_known else total + 1
    return 1.0 if denominator == 0 else min(1.0, finished / denominator)


def eta_seconds(elapsed: float, fraction: float) -> float | None:
    """Remaining time if the rate so far holds; None before any progress."""
    if fraction <= 0.0:
        return None
    return max(0.0, elapsed * (1.0 - fraction) / fraction)
