"""Schedules: cron (with a time zone, via croniter) or a fixed interval; and durations.

Only syntax and next fire times live here; the scheduler loop that starts executions is built
on top by the services layer.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from sounding.orchestration.spec import Schedule

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: object) -> float:
    """Seconds from a number or a string such as ``"500ms"``, ``"30s"``, ``"5m"``, ``"2h"``.

    Raises ``ValueError`` with a message fit for a validation error.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30, '30s', '5m'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"expected a duration such as 30, '30s', '5m', not {value!r}")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a valid cron expression, or None if it is."""
    if not isinstance(expression, str) or not expression.strip():
        return "expected a cron expression such as '0 3 * * *' or '@daily'"
    if not croniter.is_valid(expression):
        return f"invalid cron expression {expression!r}"
    return None


def timezone_error(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r}"
    return None


def next_fire_times(schedule: Schedule, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` times the schedule fires strictly after ``after`` (time-zone aware)."""
    zone = ZoneInfo(schedule.timezone)
    start = after.astimezone(zone) if after.tzinfo else after.replace(tzinfo=zone)
    if schedule.cron is not None:
        it = croniter(schedule.cron, start)
        return [it.get_next(datetime) for _ in range(count)]
    if schedule.interval is None or schedule.interval <= 0:
        raise ValueError("a schedule needs a cron expression or a positive interval")
    step = timedelta(seconds=schedule.interval)
    return [start + step * (i + 1) for i in range(count)]
