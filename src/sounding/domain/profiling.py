"""Profiles: what a profiling pass measured of a table and its columns, and how it sampled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sounding.errors import InvalidInputError


class SampleKind(StrEnum):
    FULL = "full"
    PERCENT = "percent"
    ROWS = "rows"


@dataclass(frozen=True)
class SamplePolicy:
    """``full``; ``percent`` with 0 < value <= 100; or ``rows`` with a row cap."""

    kind: SampleKind = SampleKind.FULL
    value: float | None = None

    def __post_init__(self) -> None:
        if self.kind == SampleKind.PERCENT and not (self.value and 0 < self.value <= 100):
            raise InvalidInputError("A percent sample needs 0 < percent <= 100", field="sample")
        if self.kind == SampleKind.ROWS and not (self.value and self.value >= 1):
            raise InvalidInputError("A row-capped sample needs rows >= 1", field="sample")

    @classmethod
    def parse(cls, text: str | None) -> SamplePolicy:
        """``full``, ``10%`` or ``100000`` (rows)."""
        if not text or text == "full":
            return cls()
        try:
            if text.endswith("%"):
                return cls(SampleKind.PERCENT, float(text[:-1]))
            return cls(SampleKind.ROWS, float(int(text)))
        except ValueError as exc:
            raise InvalidInputError(
                f"Invalid sample {text!r}: use 'full', a percentage like '10%', or a row count",
                field="sample",
            ) from exc

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "value": self.value}


@dataclass
class ColumnProfile:
    name: str
    null_count: int | None = None
    null_ratio: float | None = None
    distinct_count: int | None = None
    distinct_is_approximate: bool = False
    min: Any = None
    max: Any = None
    mean: float | None = None
    stddev: float | None = None
    quantiles: dict[str, Any] | None = None  # {"p25": .., "p50": .., "p75": ..}
    min_length: int | None = None
    avg_length: float | None = None
    max_length: int | None = None
    top_values: list[dict[str, Any]] = field(default_factory=list)  # [{"value", "count"}]
    histogram: list[dict[str, Any]] | None = None  # [{"low", "high", "count"}]
    kind: str | None = None  # integer, number, text, date, timestamp, boolean, binary, ...
    quantiles_are_approximate: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TableProfile:
    row_count: int
    sampled_rows: int
    policy: SamplePolicy
    columns: list[ColumnProfile] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. "quantiles not supported by sqlite"
    sample_method: str = "full"  # how the rows were chosen, e.g. "TABLESAMPLE BERNOULLI (10)"
    row_count_is_estimate: bool = False  # row_count from planner statistics (sampled profiles)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_count": self.row_count,
            "row_count_is_estimate": self.row_count_is_estimate,
            "sampled_rows": self.sampled_rows,
            "policy": self.policy.to_dict(),
            "sample_method": self.sample_method,
            "columns": [c.to_dict() for c in self.columns],
            "seconds": self.seconds,
            "notes": self.notes,
        }


# --- masking: what a caller without pii:read may see of a sensitive column --------------------

MASK = "***"

# Figures that say how many or how long, never what: kept when a column's values are masked.
# Anything else a profile holds (min, max, mean, stddev, quantiles, histogram bounds, top
# values, and any figure added later) is derived from the values and is masked.
VALUE_FREE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "count",
        "row_count",
        "sampled_rows",
        "null_count",
        "null_ratio",
        "distinct_count",
        "distinct_is_approximate",
        "quantiles_are_approximate",
        "min_length",
        "avg_length",
        "max_length",
        "masked",
    }
)


def mask_values(value: Any, keep: frozenset[str] = VALUE_FREE_FIELDS) -> Any:
    """``value`` with every figure derived from data values replaced by ``MASK``.

    The one masking rule for profiles (and for quality examples and observations): mappings
    keep their keys and the fields named in ``keep`` (counts, ratios, lengths); lists keep
    their length; every other scalar becomes ``MASK`` (``None`` stays ``None``: it tells
    nothing). An allow-list, so a figure added to profiles later is masked until it is
    known to be value-free.
    """
    if isinstance(value, Mapping):
        return {k: v if k in keep else mask_values(v, keep) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_values(v, keep) for v in value]
    return None if value is None else MASK


def mask_column_profile(column: Mapping[str, Any]) -> dict[str, Any]:
    """A column's profile as a caller without ``pii:read`` sees it: value figures masked."""
    masked: dict[str, Any] = mask_values(column)
    masked["masked"] = True
    return masked


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """One stored profile of an asset as services return it: ``policy`` is how rows were
    sampled (``SamplePolicy.to_dict()``), ``profile`` the measured document (a table's, with
    its ``columns``, or a column's), values of sensitive columns already masked for the
    caller."""

    asset_id: int
    urn: str
    scan_run_id: int | None
    created_at: datetime
    policy: dict[str, Any]
    profile: dict[str, Any]
