"""The one text form of a timestamp, in the API, the CLI and reports: ISO 8601 in UTC with
``Z`` (``2026-01-31T09:30:00.123456Z``; microseconds only when there are any).

A naive value is taken as UTC: the store keeps every timestamp in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def as_utc(value: datetime) -> datetime:
    """``value`` with its zone set to UTC (naive values are UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def to_text(value: Any) -> Any:
    """``json.dumps(default=...)``: timestamps in the one form, dates as ISO, others as str."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
