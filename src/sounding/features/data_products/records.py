"""What the data products feature hands out: typed records. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

DRAFT, PUBLISHED, DEPRECATED = "draft", "published", "deprecated"
STATUSES = (DRAFT, PUBLISHED, DEPRECATED)
TRANSITIONS = {DRAFT: (PUBLISHED, DEPRECATED), PUBLISHED: (DEPRECATED,), DEPRECATED: ()}
INPUT, OUTPUT = "input", "output"


@dataclass(frozen=True, slots=True)
class DataProduct:
    """A data product as lists show it. ``version`` grows by one whenever its ports change."""

    id: int
    name: str
    description: str | None
    owners: tuple[str, ...]
    domain: str | None
    sla: str | None
    freshness_hours: int | None
    status: str
    version: int
    input_count: int
    output_count: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int


@dataclass(frozen=True, slots=True)
class PortAsset:
    """An asset on one of a product's ports."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class ProductHealth:
    """Quality and compliance rolled up from the product's assets (its ports): the mean
    overall quality score of its scored tables, and its open compliance findings by
    severity. ``status``: ``ok``, ``at_risk`` (an open finding, or quality below 0.9),
    ``unknown`` (nothing scored and no findings)."""

    status: str
    quality_score: float | None
    tables_scored: int
    open_findings: int
    open_by_severity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DataProductDetail(DataProduct):
    inputs: tuple[PortAsset, ...] = ()
    outputs: tuple[PortAsset, ...] = ()
    health: ProductHealth | None = None
