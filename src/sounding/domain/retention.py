"""What retention keeps and what a prune deleted: the kinds, their settings and reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RetentionKind(StrEnum):
    """A kind of history with its own retention setting (``SOUNDING_RETENTION_<KIND>``)."""

    ATTEMPTS = "attempts"  # task attempts and events of finished executions
    EXECUTIONS = "executions"  # finished executions with everything under them
    USAGE = "usage"  # daily usage counts and the search query log
    AUDIT = "audit"  # the audit log
    ALERTS = "alerts"  # catalog events told, inbox notifications and finished deliveries


@dataclass(frozen=True, slots=True)
class KindSetting:
    """One kind's retention: the setting as written (``30d``, ``never``) and in seconds
    (None: kept forever)."""

    kind: str
    retention: str
    seconds: float | None


@dataclass(frozen=True, slots=True)
class TableCount:
    """Rows of one table a prune deleted (or, in a dry run, would delete)."""

    table: str
    rows: int


@dataclass(frozen=True, slots=True)
class KindReport:
    """One kind in a prune: its cutoff (None: kept forever) and the rows per table."""

    kind: str
    retention: str
    cutoff: datetime | None
    tables: tuple[TableCount, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True, slots=True)
class PruneReport:
    """A prune: when it ran, whether it only counted, what it deleted per kind, how long it
    took and how many transactions, and on SQLite the store's pages (size, free)."""

    dry_run: bool
    started_at: datetime
    seconds: float
    batches: int
    kinds: tuple[KindReport, ...]
    # SQLite: the store's size (pages x page size) and its free pages (reused by later
    # writes; only VACUUM gives them back to the disk), before and after the prune
    store_bytes_before: int | None = None
    free_bytes_before: int | None = None
    store_bytes: int | None = None
    free_bytes: int | None = None

    @property
    def rows(self) -> int:
        return sum(k.rows for k in self.kinds)


@dataclass(frozen=True, slots=True)
class RetentionState:
    """The retention settings and this server's periodic prune: its interval in seconds
    (None: off) and the report of the last prune this process ran."""

    kinds: tuple[KindSetting, ...]
    interval: str
    interval_seconds: float | None
    batch_size: int
    last: PruneReport | None
    running: bool
