"""Usage of catalog assets and the popularity formula (plain values and arithmetic, no I/O).

Usage is counted per asset, UTC day and kind:

- ``view``: the asset was fetched through the API (``GET /api/v1/assets/{ref}`` or by URN);
- ``search_hit``: the asset was on the first page of a search's results;
- ``query``: a statement in the source's query log read or wrote it (calls per statement).

**Popularity** of an asset is a decayed, weighted sum of its usage over the last
``WINDOW_DAYS`` days (today included)::

    popularity = sum over days d and kinds k of
                 WEIGHTS[k] * count(d, k) * 0.5 ** (age(d) / HALF_LIFE_DAYS)

where ``age(d)`` is the number of days between ``d`` and today (0 for today). A column's usage
also counts for its table ("columns roll up to their table"). The value reads as "uses,
recent ones worth more": 10 views today is 10; 10 views a week ago is 5.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class UsageKind(StrEnum):
    VIEW = "view"
    SEARCH_HIT = "search_hit"
    QUERY = "query"


WINDOW_DAYS = 30
"""Usage older than this many days (today included) does not count for popularity."""

HALF_LIFE_DAYS = 7.0
"""A use loses half of its weight every this many days."""

WEIGHTS: dict[UsageKind, float] = {
    UsageKind.VIEW: 1.0,
    UsageKind.QUERY: 1.0,
    UsageKind.SEARCH_HIT: 0.2,  # shown in results is a weaker signal than opened or queried
}

SIGNIFICANT_CHANGE = 0.05
"""A popularity change smaller than this share (and than 0.01 absolute) does not reindex."""


@dataclass(frozen=True, slots=True)
class UsageCount:
    """``count`` uses of one kind on one UTC day."""

    day: date
    kind: UsageKind
    count: int


def popularity(counts: Iterable[UsageCount], today: date) -> float:
    """The decayed, weighted sum of ``counts`` (see the module docstring), rounded to 4 places."""
    total = 0.0
    for c in counts:
        age = (today - c.day).days
        if age < 0 or age >= WINDOW_DAYS:
            continue
        total += WEIGHTS[c.kind] * c.count * 0.5 ** (age / HALF_LIFE_DAYS)
    return round(total, 4)


def changed_enough(old: float, new: float) -> bool:
    """Whether a popularity change is worth reindexing the asset for search ranking."""
    diff = abs(new - old)
    return diff > 0.01 and diff > SIGNIFICANT_CHANGE * max(old, new)


@dataclass(frozen=True, slots=True)
class UsedAsset:
    id: int
    urn: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class DailyUse:
    """One kind of use of an asset on one UTC day, by how many distinct users."""

    day: str  # YYYY-MM-DD
    kind: str  # view, search_hit or query
    count: int
    users: int


@dataclass(frozen=True, slots=True)
class AssetUsage:
    """An asset's popularity and its own uses per day (``GET /api/v1/assets/{ref}/usage``)."""

    asset: UsedAsset
    days: int
    popularity: float
    totals: dict[str, int]  # per kind of use over the window
    daily: tuple[DailyUse, ...]


@dataclass(frozen=True, slots=True)
class QueryUsageAdded:
    """What one ingestion of a source's query log added (``POST .../usage/ingest``)."""

    statements: int  # distinct statements in the log
    new_calls: int  # calls since the last ingestion
    mapped_statements: int  # statements that named a known asset
    assets: int  # assets that got usage
    unparsed: int  # statements the SQL parser could not read
    unresolved: tuple[str, ...]  # names matching no asset (at most 100)
