"""Sensitive-data classification: labels, the evidence behind a label, and free-text spans.

Plain values only; the rules and the engine that produce them live in
``sounding.scanning.classification``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Label:
    """One entry of the label taxonomy, e.g. ``PII.NationalId.US_SSN``.

    ``description`` says what the label means; ``detection`` says how the built-in rules find it.
    """

    name: str
    description: str
    detection: str = ""

    @property
    def category(self) -> str:
        """The top-level family: ``PII``, ``Secret``, ``PCI``, ``Finance``, ``Network``, ..."""
        return self.name.split(".", 1)[0]

    @property
    def parent(self) -> str | None:
        """``PII.NationalId`` for ``PII.NationalId.US_SSN``; None for a top-level name."""
        head, _, _ = self.name.rpartition(".")
        return head or None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a column got a label.

    ``name_score`` is the strength of the column-name match (0 when the name said nothing).
    ``matched_share`` is the share of sampled distinct non-null values that matched a value
    pattern, ``validated_share`` the share that also passed the validator (checksum, date,
    dictionary); ``value_strength`` is the mean strength of the validated values. Shares are
    computed on non-null values, so a mostly-null column is judged on what it holds.
    ``sample_size`` is how many distinct non-null values were examined. No value itself is
    kept: evidence is stored in the catalog and must not copy the sensitive data.
    """

    source: str  # "name", "values", "name+values", "text"
    name_score: float = 0.0
    name_pattern: str | None = None
    matched_share: float = 0.0
    validated_share: float = 0.0
    value_strength: float = 0.0
    matched_values: int = 0
    sample_size: int = 0
    distinct_values: int = 0
    non_null_values: int = 0
    total_values: int = 0
    data_type: str | None = None

    @property
    def null_share(self) -> float:
        if not self.total_values:
            return 0.0
        return 1.0 - self.non_null_values / self.total_values

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["null_share"] = round(self.null_share, 4)
        return data


@dataclass(frozen=True, slots=True)
class ClassificationResult:
    """A label proposed for one column, with its confidence (0..1), rule and evidence."""

    label: str
    confidence: float
    rule: str
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "rule": self.rule,
            "evidence": self.evidence.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """An entity found inside free text: ``text[start:end]`` looks like ``label``."""

    label: str
    start: int
    end: int
    text: str
    score: float
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- stored labels and rule sets, as services return them ---------------------------------


@dataclass(frozen=True, slots=True)
class Classification:
    """A label on a column: suggested by a rule, or confirmed or rejected by a steward."""

    label: str
    confidence: float
    status: str  # suggested, confirmed or rejected
    rule: str | None
    evidence: dict[str, Any]
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ColumnClassification(Classification):
    """A label of one column of an asset (the column's name and URN beside it)."""

    column: str = ""
    urn: str = ""


@dataclass(frozen=True, slots=True)
class LabeledColumn(Classification):
    """A label with the column it is on, as the catalog-wide list shows it."""

    urn: str = ""
    qualified_name: str = ""
    column: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class ColumnClassifications:
    """The labels of a column, or of every column of a table."""

    items: tuple[ColumnClassification, ...]
    total: int


@dataclass(frozen=True, slots=True)
class RuleSetRecord:
    """A stored custom rule set and the sources it is attached to."""

    name: str
    description: str | None
    version: int
    definition: dict[str, Any]
    sources: tuple[str, ...]
    created_by: str | None
    updated_at: datetime
