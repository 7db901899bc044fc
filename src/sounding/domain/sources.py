"""What the source pages show, as typed records: a source with its last scan, health and
asset counts; a scan as it runs (its stages and their progress); a connection test. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Health(StrEnum):
    """A source's health, from its last scan: what a platform engineer looks at first."""

    HEALTHY = "healthy"  # the last scan completed
    DEGRADED = "degraded"  # it completed, but some objects or stages failed
    FAILING = "failing"  # it failed (cannot connect, interrupted, cancelled)
    SCANNING = "scanning"  # a scan is pending or running
    UNSCANNED = "unscanned"  # never scanned


@dataclass(frozen=True, slots=True)
class ScanChanges:
    """What one scan's discovery changed in the catalog."""

    objects: int  # objects the scan looked at
    created: int
    updated: int
    schema_changed: int
    deleted: int
    restored: int
    failures: int
    warnings: int

    @property
    def changed(self) -> int:
        return self.updated + self.schema_changed

    @property
    def any(self) -> bool:
        return bool(self.created or self.changed or self.deleted or self.restored)


@dataclass(frozen=True, slots=True)
class ScanLine:
    """One scan of a source: its status (the execution's, while any stage runs), progress
    and what it changed."""

    id: int
    execution_id: str | None
    status: str
    triggered_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    objects_total: int
    objects_done: int
    progress: float  # 0..1, discovery's
    error: str | None
    changes: ScanChanges

    @property
    def active(self) -> bool:
        return self.status in ("pending", "running")

    @property
    def health(self) -> Health:
        if self.active:
            return Health.SCANNING
        if self.status == "completed" and not self.changes.failures:
            return Health.HEALTHY
        if self.status in ("completed", "completed_with_failures"):
            return Health.DEGRADED
        return Health.FAILING


@dataclass(frozen=True, slots=True)
class AssetCounts:
    """Live assets of a source, by type."""

    tables: int = 0
    views: int = 0
    datasets: int = 0
    columns: int | None = None  # None: not counted (the list counts objects only)

    @property
    def objects(self) -> int:
        return self.tables + self.views + self.datasets


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A source as the list shows it."""

    name: str
    kind: str
    url: str  # redacted
    description: str | None
    last_scan: ScanLine | None
    counts: AssetCounts

    @property
    def health(self) -> Health:
        return self.last_scan.health if self.last_scan else Health.UNSCANNED


@dataclass(frozen=True, slots=True)
class SourceListing:
    """One page of sources, sorted, with the total that matched."""

    sources: tuple[SourceLine, ...]
    total: int
    kinds: tuple[str, ...]  # every kind a source has, for the filter


@dataclass(frozen=True, slots=True)
class SourceDetail:
    """A source as its page and edit form show it: never the secret, only whether one is set."""

    id: int
    name: str
    kind: str
    url: str  # redacted: every secret is ***
    has_secret: bool
    include: str | None
    exclude: str | None
    options: dict[str, Any]
    description: str | None
    created_at: datetime
    updated_at: datetime
    revision: int
    counts: AssetCounts
    last_scan: ScanLine | None

    @property
    def health(self) -> Health:
        return self.last_scan.health if self.last_scan else Health.UNSCANNED


@dataclass(frozen=True, slots=True)
class StageProgress:
    """One stage (step) of a running or finished scan."""

    id: str  # discover, profile, classify, lineage
    status: str
    done: int
    total: int
    failed: int
    eta_seconds: float | None

    @property
    def fraction(self) -> float:
        if self.total:
            return min(1.0, self.done / self.total)
        return 1.0 if self.status == "completed" else 0.0


@dataclass(frozen=True, slots=True)
class ScanLive:
    """A scan as it runs: its record, its stages and the overall fraction done."""

    scan: ScanLine
    stages: tuple[StageProgress, ...]
    execution_status: str | None
    execution_error: str | None

    @property
    def fraction(self) -> float:
        if not self.scan.active:
            return 1.0 if self.scan.status.startswith("completed") else self.raw_fraction
        return min(self.raw_fraction, 0.99)

    @property
    def raw_fraction(self) -> float:
        if not self.stages:
            return self.scan.progress
        return sum(s.fraction for s in self.stages) / len(self.stages)


@dataclass(frozen=True, slots=True)
class ChangedAsset:
    """One discovery event of a scan, with the asset it names."""

    event_id: int
    event_type: str  # created, updated, schema_changed, deleted, restored
    asset_id: int
    type: str
    qualified_name: str
    deleted: bool  # the asset is deleted now
    fields: tuple[str, ...]  # what changed (schema_changed, updated)


@dataclass(frozen=True, slots=True)
class ConnectionTest:
    """The outcome of a connection test: what the connector reports, or its exact error."""

    ok: bool
    message: str
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SourceTestResult:
    """A successful connection test (``POST /sources/{name}/test``, ``sounding source test``):
    the connector's warnings and its own facts, which differ by kind (databases:
    ``dialect``, ``server_version``, ``databases``; file sources: ``path``, ``datasets``,
    ``formats``, ``duckdb_version``)."""

    source: str
    warnings: list[str]
    facts: dict[str, Any]  # the connector's report, kind by kind
    ok: bool = True

    def public(self) -> dict[str, Any]:
        """The flat JSON form ``SourceTestPublic`` describes: the facts beside the fields."""
        return {"ok": self.ok, "source": self.source, "warnings": self.warnings, **self.facts}
