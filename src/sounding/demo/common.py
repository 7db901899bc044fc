"""Small helpers shared by the demo generators: row types, fixed calendar, formatting."""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sounding.demo.plan import HISTORY_START, REFERENCE_DATE

Row = tuple[object, ...]
Rows = dict[str, list[Row]]

_BLACK_FRIDAYS = (date(2024, 11, 29), date(2025, 11, 28))
_SEASON = {1: 0.85, 2: 0.8, 3: 0.9, 4: 0.95, 5: 1.0, 6: 0.95, 7: 0.9, 8: 0.95, 9: 1.0}
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 10, 9, 6, 3)


def fmt_ts(value: datetime) -> str:
    """ISO timestamp without fraction, the way most warehouses store text timestamps."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def fmt_date(value: date) -> str:
    return value.isoformat()


def ascii_slug(text: str, sep: str = "") -> str:
    """Lower-case ASCII letters and digits of ``text``, words joined by ``sep``.

    ``ascii_slug("Jörg Müller-Lüdenscheidt", ".")`` is ``"jorg.mullerludenscheidt"``.
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = ["".join(ch for ch in word if ch.isalnum()) for word in plain.lower().split()]
    return sep.join(word for word in words if word)


_COMPANY_NOISE = frozenset(
    ("and", "ltd", "gmbh", "inc", "llc", "plc", "sa", "srl", "bv", "co", "kg")
)


def company_domain(company: str) -> str:
    """A plausible web domain: ``Snyder, Baker and Andrews`` → ``snyder-baker.com``."""
    words = [word for word in ascii_slug(company, " ").split() if word not in _COMPANY_NOISE]
    return "-".join(words[:2] or ["company"]) + ".com"


def random_datetime(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A uniformly random second in ``[start, end)``."""
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(max(span, 1)))


def random_time_of_day(rng: random.Random, day: date) -> datetime:
    """A moment on ``day``, busier in the evening than at night."""
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))


@dataclass(frozen=True)
class ShopCalendar:
    """Shopping days from :data:`HISTORY_START` to the day before the reference date.

    Days are weighted by growth, season, weekends and Black Friday, so daily revenue looks real.
    """

    days: tuple[date, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def build(cls) -> ShopCalendar:
        days: list[date] = []
        weights: list[float] = []
        total_days = (REFERENCE_DATE - HISTORY_START).days
        for offset in range(total_days):
            day = HISTORY_START + timedelta(days=offset)
            weight = (1.0 + 0.8 * offset / total_days) * _season(day)
            if day.weekday() >= 5:
                weight *= 1.15
            if day in _BLACK_FRIDAYS:
                weight *= 3.0
            elif any(0 < (day - bf).days <= 3 for bf in _BLACK_FRIDAYS):
                weight *= 1.8
            days.append(day)
            weights.append(weight)
        return cls(tuple(days), tuple(itertools.accumulate(weights)))

    def index_of(self, day: date) -> int:
        return min(max((day - self.days[0]).days, 0), len(self.days) - 1)

    def share_from(self, day: date) -> float:
        """The fraction of all shopping (by weight) that happens on or after ``day``."""
        index = self.index_of(day)
        before = self.cumulative[index - 1] if index > 0 else 0.0
        return 1.0 - before / self.cumulative[-1]

    def pick_day(self, rng: random.Random, not_before: date | None = None) -> date:
        """A weighted random shopping day, on or after ``not_before``."""
        low = 0.0
        if not_before is not None and not_before > self.days[0]:
            low = self.cumulative[self.index_of(not_before) - 1]
        point = rng.uniform(low, self.cumulative[-1])
        index = min(bisect.bisect_left(self.cumulative, point), len(self.days) - 1)
        return self.days[index]


def _season(day: date) -> float:
    if day.month == 11:
        return 1.4
    if day.month == 12:
        return 1.7 if day.day <= 20 else 0.9
    if day.month == 10:
        return 1.05
    return _SEASON.get(day.month, 1.0)
