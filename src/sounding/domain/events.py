"""Catalog events: what happened in the catalog that somebody may want to be told about.

The core and the features publish them (``services/events.py``) in the transaction of the
change that causes them; the alerts feature reads them in order and notifies subscribers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    SCHEMA_CHANGE = "schema_change"  # a breaking schema change, with its downstream impact
    QUALITY_FAILED = "quality_failed"  # a quality rule started failing
    QUALITY_RECOVERED = "quality_recovered"  # a failing rule passes again
    SENSITIVE_LABEL = "sensitive_label"  # a new classification label on a column
    FINDING_OPENED = "finding_opened"  # a compliance finding opened or reopened
    EXECUTION_FAILED = "execution_failed"  # a workflow execution failed
    SOURCE_UNREACHABLE = "source_unreachable"  # a scan could not connect to its source


EVENT_KINDS: tuple[str, ...] = tuple(k.value for k in EventKind)


@dataclass(frozen=True, slots=True)
class CatalogEvent:
    """One published event. ``asset_id``/``urn`` name the asset it concerns (a column's
    event names the column; ``table_id`` is its table), ``source``, ``domain`` and
    ``workflow`` the other things a subscription can target."""

    id: int
    kind: str
    title: str
    created_at: datetime
    asset_id: int | None = None
    table_id: int | None = None
    urn: str | None = None
    source: str | None = None
    domain: str | None = None
    workflow: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
