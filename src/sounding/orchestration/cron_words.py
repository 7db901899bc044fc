"""Schedules in words: ``"0 3 * * *"`` in Europe/Paris reads "daily at 03:00 Europe/Paris".

:func:`describe_cron` knows the shapes people write (every N minutes, hourly, daily at one or
a few times, on weekdays or given days of the week, monthly on given days, yearly, the
``@daily``-style aliases) and falls back to the expression itself ("cron ``0 3 L * *``")
for anything else, so a reader is never told something the expression does not say. Days of
the month and of the week both restricted is such a case: cron then fires on either, which a
short phrase would misstate. Pure functions, no I/O.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
DAY_NAMES = {d[:3].lower(): i for i, d in enumerate(DAYS)}
MONTH_NAMES = {m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)}
_NUMBER = re.compile(r"^\d{1,2}$")
_STEP = re.compile(r"^\*/(\d{1,2})$")


class _Unknown(Exception):  # noqa: N818 (control flow: "fall back to the raw expression")
    pass


def _value(text: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    key = text.lower()
    if names and key in names:
        return names[key]
    if not _NUMBER.match(text) or not low <= int(text) <= high:
        raise _Unknown(text)
    return int(text)


def _values(
    field: str, low: int, high: int, names: dict[str, int] | None = None
) -> list[int] | None:
    """The values of a field (sorted, without repeats); None for ``*``; ranges expanded."""
    if field == "*":
        return None
    found: set[int] = set()
    for part in field.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, low, high, names), _value(b, low, high, names)
            if start > end:
                raise _Unknown(part)
            found.update(range(start, end + 1))
        else:
            found.add(_value(part, low, high, names))
    return sorted(found)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _plural(n: int, word: str) -> str:
    return f"every {word}" if n == 1 else f"every {n} {word}s"


def _times(minute: int, hours: list[int]) -> str:
    return _join([f"{h:02d}:{minute:02d}" for h in hours])


def _weekdays(days: list[int]) -> str:
    """On which days of the week (0 and 7 are both Sunday)."""
    days = sorted({d % 7 for d in days})
    if days == [1, 2, 3, 4, 5]:
        return "on weekdays"
    if days == [0, 6]:
        return "on weekends"
    if len(days) == 7:
        return ""
    ordered = sorted(days, key=lambda d: (d + 6) % 7)  # Monday first, Sunday last
    return "every " + _join([DAYS[d] for d in ordered])


def _runs(values: list[int]) -> bool:
    """Whether ``values`` are one contiguous range of at least three."""
    return len(values) >= 3 and values == list(range(values[0], values[-1] + 1))


def _time_part(minute_field: str, hour_field: str) -> tuple[str, bool]:
    """The within-a-day part and whether it names a time of day (then the zone matters)."""
    if minute_field == "*" and hour_field == "*":
        return "every minute", False
    step = _STEP.match(minute_field)
    if step and hour_field == "*":
        return _plural(int(step.group(1)), "minute"), False
    minutes = _values(minute_field, 0, 59)
    if minutes is None or len(minutes) != 1:
        if minutes is not None and hour_field == "*":
            return f"hourly at minutes {_join([f':{m:02d}' for m in minutes])}", False
        raise _Unknown(minute_field)
    minute = minutes[0]
    if hour_field == "*":
        return ("hourly" if minute == 0 else f"hourly at :{minute:02d}"), False
    step = _STEP.match(hour_field)
    if step:
        every = _plural(int(step.group(1)), "hour")
        return (every if minute == 0 else f"{every} at :{minute:02d}"), False
    hours = _values(hour_field, 0, 23)
    assert hours is not None
    if _runs(hours):
        first, last = hours[0], hours[-1]
        return f"hourly from {first:02d}:{minute:02d} to {last:02d}:{minute:02d}", True
    return f"at {_times(minute, hours)}", True


def _describe(expression: str, timezone: str) -> str:
    fields = ALIASES.get(expression.strip().lower(), expression).split()
    if len(fields) != 5:
        raise _Unknown(expression)
    minute_f, hour_f, dom_f, month_f, dow_f = fields
    when, timed = _time_part(minute_f, hour_f)
    doms = _values(dom_f, 1, 31)
    months = _values(month_f, 1, 12, MONTH_NAMES)
    dows = _values(dow_f, 0, 7, DAY_NAMES)
    if doms is not None and dows is not None:
        raise _Unknown(expression)  # cron fires on either: no short phrase says that right
    month_words = _join([MONTHS[m - 1] for m in months]) if months else ""
    if doms is not None:
        days = _join([_ordinal(d) for d in doms])
        if months is None:
            day_part = f"monthly on the {days}"
        elif len(doms) == 1 and len(months) == 1:
            day_part = f"yearly on {doms[0]} {month_words}"
        else:
            day_part = f"on the {days} of {month_words}"
    elif dows is not None and _weekdays(dows):
        day_part = _weekdays(dows) + (f" in {month_words}" if months else "")
    elif months is not None:
        day_part = f"daily in {month_words}" if timed else f"in {month_words}"
    else:
        day_part = "daily" if timed and when.startswith("at ") else ""
    if day_part == "daily":
        text = f"daily {when}"
    elif when.startswith("at ") or not day_part:
        text = f"{day_part} {when}".strip()
    else:
        text = f"{when}, {day_part}"
    if timed or doms is not None or (dows is not None and _weekdays(dows)):
        text += f" {timezone}"
    return text


def describe_cron(expression: str, timezone: str = "UTC") -> str:
    """The cron ``expression`` (in ``timezone``) in words; the raw expression if it is not
    one of the common shapes."""
    try:
        return _describe(expression, timezone)
    except _Unknown:
        logger.debug("no words for cron expression %r", expression)
        return f"cron {expression.strip()} ({timezone})"


def describe_interval(seconds: float) -> str:
    """A fixed interval in words: "every 90 seconds", "every 5 minutes", "every 2 hours"."""
    whole = round(seconds)
    if whole <= 0 or abs(seconds - whole) > 1e-9:
        return f"every {seconds:g} seconds"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if whole % size == 0:
            return _plural(whole // size, unit)
    return _plural(whole, "second")
