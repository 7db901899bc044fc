"""Scan runs, their reports and the discovery events they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
