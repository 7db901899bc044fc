"""Lineage: what the lineage routes take and answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sounding.api.validation import RequestModel


class LineageParse(RequestModel):
    sql: str
    dialect: str = "ansi"
    schema_: dict[str, Any] | None = Field(
        None, alias="schema", description='{"db.table": ["col", ...]} to expand * and resolve'
    )


class LineageIngest(RequestModel):
    source: str = Field(description="The source the SQL ran against")
    sql: str
    dialect: str | None = Field(None, description="Default: the source's own dialect")


class EdgeCreate(RequestModel):
    source: str = Field(description="Upstream asset: id or URN")
    target: str = Field(description="Downstream asset: id or URN")
    description: str | None = None


class ColumnEdgePublic(BaseModel):
    source_table: str | None = Field(description="Null when no one table could be told")
    source_column: str
    target_table: str
    target_column: str
    kind: str = Field(description="copy, transform, aggregate (direct); window, filter (indirect)")
    confidence: float


class ParseProblemPublic(BaseModel):
    statement_index: int
    line: int
    column: int
    message: str


class SqlLineagePublic(BaseModel):
    """Table and column lineage of a SQL text."""

    sources: list[str]
    targets: list[str]
    column_lineage: list[ColumnEdgePublic]
    errors: list[ParseProblemPublic]
    locations: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per source or target, the paths inside it the SQL names (a stage's files)",
    )


class SqlLineageIngested(SqlLineagePublic):
    edges_added: int
    edges_kept: int
    unresolved: list[str] = Field(description="Names that matched no asset of the source")
    origin_key: str = Field(description="Ingesting the same SQL again replaces these edges")


class OpenLineageIngested(BaseModel):
    """The fields after ``edges`` only when the event was applied (status ok)."""

    status: str = Field(description="ok, or ignored for events that carry no lineage")
    event_type: str
    edges: int
    job: str | None = None
    job_urn: str | None = Field(
        None, description="The job's pipeline asset, between its inputs and outputs"
    )
    edges_added: int | None = None
    edges_removed: int | None = None
    external_created: list[str] | None = Field(
        None, description="URNs of the external datasets this event added to the catalog"
    )


class EdgeCreated(BaseModel):
    source: int
    target: int
    level: str = Field(description="table or column")
    origin: str


class LineageNodePublic(BaseModel):
    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    source: str
    parent_id: int | None
    owner: str | None
    criticality: str | None
    domain: str | None
    tags: list[str]
    description: str | None
    distance: int = Field(description="Hops from the root: negative upstream")


class LineageEdgePublic(BaseModel):
    id: int
    source: int = Field(description="Upstream node id")
    target: int = Field(description="Downstream node id")
    kind: str | None
    confidence: float | None
    origin: str = Field(description="view, sql, openlineage, dbt, manual, ...")


class LineageGraphPublic(BaseModel):
    root: int
    nodes: list[LineageNodePublic]
    edges: list[LineageEdgePublic]
    truncated: bool = Field(description="The node cap was reached")


class CriticalPathPublic(BaseModel):
    target: int
    path: list[str] = Field(description="URNs from the root to the target")


class ImpactPublic(BaseModel):
    root: LineageNodePublic
    total: int
    counts_by_distance: dict[int, int]
    items: list[LineageNodePublic]
    critical_paths: list[CriticalPathPublic]
    truncated: bool
