"""Schema changes a scan found and what they reach downstream through lineage.

A scan records discovery events (``domain.scans.EventType``); the breaking ones are read here
as changes: a column dropped, renamed, retyped or otherwise changed (nullability, key), and a
table, view or dataset dropped. Each change carries the downstream assets lineage reaches from
the changed asset, with their owners and the quality rules that check them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sounding.domain.timestamps import format_timestamp


class ChangeKind(StrEnum):
    COLUMN_DROPPED = "column_dropped"
    COLUMN_RENAMED = "column_renamed"  # dropped and added at the same position, same type
    COLUMN_RETYPED = "column_retyped"
    COLUMN_CHANGED = "column_changed"  # nullability or primary key
    TABLE_DROPPED = "table_dropped"  # a table, a view or a dataset (see the asset's type)


@dataclass(frozen=True, slots=True)
class ImpactRule:
    """A quality rule on a changed or an affected asset (its table, and column if any)."""

    id: int
    name: str
    kind: str
    table_urn: str
    column: str | None


@dataclass(frozen=True, slots=True)
class ChangedAsset:
    urn: str
    name: str
    qualified_name: str
    type: str
    owner: str | None  # its own, else its table's (for a column)
    # the lineage explorer can show it: it is live, or it is a dropped column of a live table
    explorable: bool = True


@dataclass(frozen=True, slots=True)
class AffectedAsset:
    """A downstream asset: a column when the change is a column's, else a table or view."""

    urn: str
    name: str
    qualified_name: str
    type: str
    distance: int  # hops from the changed asset
    owner: str | None  # its own, else its table's (for a column)
    object_urn: str  # the table or view it is (or holds it, for a column)
    gone: bool  # deleted since (for example a view redefined without the column)
    rules: tuple[ImpactRule, ...]


@dataclass(frozen=True, slots=True)
class ChangeImpact:
    event_id: int
    scan_id: int | None
    source: str
    at: datetime
    kind: ChangeKind
    asset: ChangedAsset
    level: str  # the lineage walked: "column" or "table"
    old_type: str | None  # column_retyped
    new_type: str | None
    new_name: str | None  # column_renamed
    rules: tuple[ImpactRule, ...]  # on the changed asset itself: they no longer hold as written
    affected: tuple[AffectedAsset, ...]  # nearest first
    affected_total: int  # how many were found (``affected`` may list fewer)
    truncated: bool  # the walk stopped at its node cap
    recorded: bool  # walked by the scan over the lineage before it; else over today's
    # the nearest change of the same scan (among those answered) whose impact holds this one:
    # a view's copy of a dropped column is dropped because the column was
    caused_by: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (a workflow's params, a log line)."""

        def rule(r: ImpactRule) -> dict[str, Any]:
            return {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "table_urn": r.table_urn,
                "column": r.column,
            }

        return {
            "event_id": self.event_id,
            "scan_id": self.scan_id,
            "source": self.source,
            "at": format_timestamp(self.at),
            "kind": self.kind.value,
            "asset": {
                "urn": self.asset.urn,
                "name": self.asset.name,
                "qualified_name": self.asset.qualified_name,
                "type": self.asset.type,
                "owner": self.asset.owner,
            },
            "level": self.level,
            "old_type": self.old_type,
            "new_type": self.new_type,
            "new_name": self.new_name,
            "rules": [rule(r) for r in self.rules],
            "affected": [
                {
                    "urn": a.urn,
                    "name": a.name,
                    "qualified_name": a.qualified_name,
                    "type": a.type,
                    "distance": a.distance,
                    "owner": a.owner,
                    "object_urn": a.object_urn,
                    "gone": a.gone,
                    "rules": [rule(r) for r in a.rules],
                }
                for a in self.affected
            ],
            "affected_total": self.affected_total,
            "truncated": self.truncated,
            "recorded": self.recorded,
            "caused_by": self.caused_by,
        }
