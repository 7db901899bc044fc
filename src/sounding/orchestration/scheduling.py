"""Which schedule ticks are due (pure; the services run the loop and claim the ticks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sounding.orchestration.schedule import next_fire_times
from sounding.orchestration.spec import Schedule

MAX_CATCHUP = 100


def due_ticks(
    schedule: Schedule, since: datetime, now: datetime, *, on_time: timedelta
) -> list[datetime]:
    """Ticks after ``since`` up to ``now`` that should start an execution, oldest first.

    A tick at most ``on_time`` old is on time and always due. Older ones were missed (no
    server was running): ``catchup`` says what to do with them: ``none`` drops them,
    ``latest`` keeps the newest, ``all`` keeps them all (at most 100).
    """
    ticks: list[datetime] = []
    cursor = since
    while len(ticks) <= MAX_CATCHUP:
        (tick,) = next_fire_times(schedule, cursor, 1)
        if tick > now:
            break
        ticks.append(tick)
        cursor = tick
    missed = [t for t in ticks if now - t > on_time]
    fresh = [t for t in ticks if now - t <= on_time]
    if schedule.catchup == "all":
        kept = missed[-MAX_CATCHUP:]
    elif schedule.catchup == "latest" and missed and not fresh:
        kept = missed[-1:]
    else:
        kept = []
    return kept + fresh


def next_tick(schedule: Schedule, after: datetime) -> datetime:
    (tick,) = next_fire_times(schedule, after, 1)
    return tick
