"""Scan runs, their reports and the discovery events they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sounding.domain.executions import StepView


class ScanStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_FAILURES = "completed_with_failures"
    FAILED = "failed"


class EventType(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SCHEMA_CHANGED = "schema_changed"
    DELETED = "deleted"
    RESTORED = "restored"


@dataclass
class ScanReport:
    """Counts and bounded lists of warnings and failures (DataHub's SourceReport idea)."""

    max_kept: int = 100
    objects_total: int = 0
    objects_done: int = 0
    objects_skipped_unchanged: int = 0
    created: int = 0
    updated: int = 0
    schema_changed: int = 0
    deleted: int = 0
    restored: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    failures_total: int = 0
    warnings_total: int = 0
    stages: dict[str, Any] = field(default_factory=dict)  # results of profile / classify

    def fail(self, target: str, message: str, error_type: str = "ObjectScanError") -> None:
        self.failures_total += 1
        if len(self.failures) < self.max_kept:
            self.failures.append({"target": target, "error": message, "type": error_type})

    def warn(self, target: str, message: str) -> None:
        self.warnings_total += 1
        if len(self.warnings) < self.max_kept:
            self.warnings.append({"target": target, "message": message})

    def count(self, event: EventType) -> None:
        setattr(self, event.value, getattr(self, event.value) + 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "objects_total": self.objects_total,
            "objects_done": self.objects_done,
            "objects_skipped_unchanged": self.objects_skipped_unchanged,
            "created": self.created,
            "updated": self.updated,
            "schema_changed": self.schema_changed,
            "deleted": self.deleted,
            "restored": self.restored,
            "failures_total": self.failures_total,
            "warnings_total": self.warnings_total,
            "failures": self.failures,
            "warnings": self.warnings,
            "stages": self.stages,
        }


@dataclass(frozen=True)
class ScanOptions:
    """Which stages run after discovery, and how profiling samples."""

    profile: bool = False
    classify: bool = False
    sample: str = "full"  # "full", "10%" or a row cap such as "100000"
    lineage: bool = True  # refresh the views' lineage when discovery changed something


@dataclass(frozen=True, slots=True)
class ScanRun:
    """A scan run as ``/api/v1/scans`` shows it (``ScanPublic``): the alias, by integer id,
    of the execution that runs the scan, with its status and progress as the execution's."""

    id: int
    execution_id: str | None
    source: str
    kind: str
    status: str
    triggered_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    objects_total: int
    objects_done: int
    progress: float
    report: dict[str, Any]  # the ScanReport's JSON form, with each later stage's counts
    error: str | None


@dataclass(frozen=True, slots=True)
class ScanExecution:
    """The execution a finished scan ran as, as its summary names it."""

    id: str
    workflow: str
    status: str
    steps: list[StepView]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanSummary:
    """A finished scan (``sounding scan``): its scan run's fields (in the same order) with the
    later stages and every failed task folded into ``report``, and its execution. Only
    ``id``, ``source``, ``status``, ``report``, ``error`` and ``execution`` are set when the
    execution never made a scan run."""

    id: int | None
    execution_id: str | None = None
    source: str
    kind: str | None = None
    status: str
    triggered_by: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    objects_total: int | None = None
    objects_done: int | None = None
    progress: float | None = None
    report: dict[str, Any]
    error: str | None
    execution: ScanExecution


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """A change one scan found on an asset (``GET /scans/{id}/events``), with the asset's URN."""

    id: int
    asset_id: int
    scan_run_id: int | None
    event_type: str
    diff: dict[str, Any]  # what changed (e.g. columns added or removed)
    created_at: datetime
    urn: str
