"""Response bodies of ``/api/v1/admin/retention``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RetentionKindPublic(BaseModel):
    kind: str = Field(description="attempts, executions, usage or audit")
    retention: str = Field(description="As set: a duration such as 30d, or never")
    seconds: float | None = Field(description="The retention in seconds; null: kept forever")


class PrunedTablePublic(BaseModel):
    table: str
    rows: int = Field(description="Rows deleted (a dry run: rows that would be)")


class PrunedKindPublic(BaseModel):
    kind: str
    retention: str
    cutoff: datetime | None = Field(description="Rows older than this went; null: kept")
    tables: list[PrunedTablePublic]


class PruneReportPublic(BaseModel):
    dry_run: bool
    started_at: datetime
    seconds: float = Field(description="How long the prune took")
    batches: int = Field(description="Delete transactions it ran")
    kinds: list[PrunedKindPublic]
    store_bytes_before: int | None = Field(description="SQLite: the store's size before")
    free_bytes_before: int | None = Field(description="SQLite: its free pages before")
    store_bytes: int | None = Field(description="SQLite: the store's size after")
    free_bytes: int | None = Field(description="SQLite: free pages after (VACUUM frees them)")


class RetentionPublic(BaseModel):
    kinds: list[RetentionKindPublic]
    interval: str = Field(description="How often the server prunes (0 or off: never)")
    interval_seconds: float | None
    batch_size: int = Field(description="Rows one delete transaction takes at most")
    last: PruneReportPublic | None = Field(description="This server's last prune, if any")
    running: bool = Field(description="A prune runs now")
