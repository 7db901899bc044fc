"""Change impact: schema changes scans found and what they reach downstream."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ImpactRulePublic(BaseModel):
    id: int
    name: str
    kind: str
    table_urn: str
    column: str | None = Field(description="The column the rule checks; null: the whole table")


class ChangedAssetPublic(BaseModel):
    urn: str
    name: str
    qualified_name: str
    type: str = Field(description="column, table, view or dataset")
    owner: str | None = Field(description="Its owner, else its table's (for a column)")


class AffectedAssetPublic(BaseModel):
    urn: str
    name: str
    qualified_name: str
    type: str = Field(description="column (column-level lineage), else table, view or dataset")
    distance: int = Field(description="Hops downstream of the changed asset")
    owner: str | None = Field(description="Its owner, else its table's (for a column)")
    object_urn: str = Field(description="The table or view that is, or holds, the asset")
    gone: bool = Field(description="Deleted since (a view redefined without the column)")
    rules: list[ImpactRulePublic] = Field(description="Active quality rules that check it")


class ChangeImpactPublic(BaseModel):
    event_id: int = Field(description="The discovery event (GET /scans/{scan_id}/events)")
    scan_id: int | None
    source: str
    at: datetime
    kind: str = Field(
        description="column_dropped, column_renamed, column_retyped, column_changed "
        "(nullability or primary key) or table_dropped (a table, view or dataset)"
    )
    asset: ChangedAssetPublic
    level: str = Field(description="The lineage walked: column or table")
    old_type: str | None = Field(description="column_retyped: the type before")
    new_type: str | None = Field(description="column_retyped: the type after")
    new_name: str | None = Field(description="column_renamed: the column's new name")
    rules: list[ImpactRulePublic] = Field(
        description="Active quality rules on the changed asset itself"
    )
    affected: list[AffectedAssetPublic] = Field(description="Downstream assets, nearest first")
    affected_total: int
    truncated: bool = Field(description="The walk stopped at its cap: there are more")
    recorded: bool = Field(
        description="Walked when the scan ran, over the lineage before the change; false: "
        "over today's lineage (events older than change impact)"
    )
    caused_by: int | None = Field(
        description="The event_id of the nearest change of the same scan, among those listed, "
        "whose impact holds this one (a view's copy of a dropped column); null: a root change"
    )


class ChangeImpactPage(BaseModel):
    items: list[ChangeImpactPublic]
    total: int = Field(description="How many changes are listed")
    truncated: bool = Field(description="More changes happened since: raise limit or since")
