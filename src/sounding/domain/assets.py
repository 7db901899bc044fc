"""What a connector yields and the catalog keeps: asset types and discovered objects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AssetType(StrEnum):
    SOURCE = "source"
    DATABASE = "database"
    SCHEMA = "schema"
    TABLE = "table"
    VIEW = "view"
    DATASET = "dataset"  # a file, or a directory of same-schema part files
    COLUMN = "column"
    # assets no scanner finds: created by hand (API, CLI, UI, catalog import) under a source
    # of kind ``manual``, or reported as jobs by OpenLineage and dbt
    DASHBOARD = "dashboard"
    CHART = "chart"  # a chart or a report
    PIPELINE = "pipeline"  # a pipeline or a job
    ML_MODEL = "ml_model"
    API_ENDPOINT = "api_endpoint"


CONTAINER_TYPES = (AssetType.DATABASE, AssetType.SCHEMA)
OBJECT_TYPES = (AssetType.TABLE, AssetType.VIEW, AssetType.DATASET)
MANUAL_TYPES = (
    AssetType.DASHBOARD,
    AssetType.CHART,
    AssetType.PIPELINE,
    AssetType.ML_MODEL,
    AssetType.API_ENDPOINT,
)
# other names people use for the same types
MANUAL_TYPE_ALIASES = {
    "report": "chart",
    "job": "pipeline",
    "model": "ml_model",
    "api": "api_endpoint",
}
# where each type sits: under the source's root, or under an asset of one of these types
MANUAL_PARENTS: dict[str, tuple[str, ...]] = {
    "dashboard": (),
    "chart": ("dashboard",),
    "pipeline": ("pipeline",),
    "ml_model": ("pipeline",),
    "api_endpoint": (),
}


@dataclass(frozen=True, slots=True)
class ForeignKeyRef:
    """``columns`` of this table reference ``referred_columns`` of ``referred_path``."""

    columns: tuple[str, ...]
    referred_path: tuple[str, ...]
    referred_columns: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class DiscoveredColumn:
    name: str
    data_type: str
    nullable: bool = True
    ordinal: int = 0
    default: str | None = None
    is_primary_key: bool = False
    comment: str | None = None

    def __repr__(self) -> str:
        # exactly the dataclass repr (fingerprints hash it), without its recursion guard,
        # which cost more than the formatting on catalogs of 100k columns
        return (
            f"DiscoveredColumn(name={self.name!r}, data_type={self.data_type!r}, "
            f"nullable={self.nullable!r}, ordinal={self.ordinal!r}, default={self.default!r}, "
            f"is_primary_key={self.is_primary_key!r}, comment={self.comment!r})"
        )


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """A table, view or file found by listing, before it is described."""

    type: AssetType
    path: tuple[str, ...]  # container parts + object name, e.g. ("main", "public", "orders")

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass(frozen=True, slots=True)
class DiscoveredObject:
    """A described table, view or dataset with its columns: one unit of discovery."""

    ref: ObjectRef
    columns: tuple[DiscoveredColumn, ...] = ()
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKeyRef, ...] = ()
    view_sql: str | None = None
    comment: str | None = None
    row_count: int | None = None
    row_count_exact: bool = False
    size_bytes: int | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A stable hash of everything discovery compares; equal hash means nothing to diff.

        Built from the dataclasses' reprs (tuples all the way down, properties sorted), which
        is an order of magnitude cheaper than ``asdict`` + JSON on catalogs of 100k columns.
        """
        props = json.dumps(self.properties, sort_keys=True, default=str)
        text = repr(
            (
                self.ref,
                self.columns,
                self.primary_key,
                self.foreign_keys,
                self.view_sql,
                self.comment,
                self.row_count,
                self.row_count_exact,
                self.size_bytes,
                props,
            )
        )
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ObjectFailure:
    """An object that could not be described; the scan records it and goes on."""

    ref: ObjectRef
    error: str
    error_type: str = "ObjectScanError"


@dataclass(frozen=True, slots=True)
class QueryLogEntry:
    """One statement from a source's query log (``calls`` and ``query_id`` when the engine has
    them)."""

    query: str
    calls: int | None = None
    query_id: str | None = None


# --- the catalog's records: what services hand to the API, the CLI and other services ----


@dataclass(frozen=True, slots=True)
class ColumnFacts:
    """What only a column has."""

    data_type: str | None
    nullable: bool | None
    ordinal: int | None
    default: str | None
    is_primary_key: bool


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What only a table, view or dataset has. ``foreign_keys`` are the stored documents
    (``name``, ``columns``, ``referred_urn``, ``referred_columns``); ``properties`` is what
    the source says beyond the other fields."""

    row_count: int | None
    row_count_exact: bool | None
    size_bytes: int | None
    primary_key: tuple[str, ...]
    foreign_keys: tuple[dict[str, Any], ...]
    view_sql: str | None
    properties: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset of the catalog as services return it. ``column_facts`` is set on columns only,
    ``object_facts`` on tables, views and datasets only."""

    id: int
    urn: str
    name: str
    qualified_name: str
    type: str
    parent_id: int | None
    source: str
    description: str | None
    owner: str | None
    steward: str | None
    domain: str | None
    tags: tuple[str, ...]
    criticality: str | None
    lifecycle: str | None
    custom_properties: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    deleted_at: datetime | None
    revision: int | None
    column_facts: ColumnFacts | None = None
    object_facts: ObjectFacts | None = None
    # dashboards, charts, pipelines, ML models, API endpoints: what was said about them
    # (``url``, ``system`` ...) when they were created
    manual_properties: dict[str, Any] | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_object(self) -> bool:
        """A table, view or dataset (what quality rules, profiles and scores belong to)."""
        return self.type in OBJECT_TYPE_VALUES

    def public(self) -> dict[str, Any]:
        """The public form (``AssetPublic``): only the fields of the asset's type."""
        out: dict[str, Any] = {
            "id": self.id,
            "urn": self.urn,
            "name": self.name,
            "qualified_name": self.qualified_name,
            "type": self.type,
            "parent_id": self.parent_id,
            "source": self.source,
            "description": self.description,
            "owner": self.owner,
            "steward": self.steward,
            "domain": self.domain,
            "tags": list(self.tags),
            "criticality": self.criticality,
            "lifecycle": self.lifecycle,
            "custom_properties": self.custom_properties,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "deleted_at": self.deleted_at,
            "deleted": self.deleted,
            "revision": self.revision,
        }
        if self.column_facts is not None:
            c = self.column_facts
            out.update(
                data_type=c.data_type,
                nullable=c.nullable,
                ordinal=c.ordinal,
                default=c.default,
                is_primary_key=c.is_primary_key,
            )
        elif self.object_facts is not None:
            o = self.object_facts
            out.update(
                row_count=o.row_count,
                row_count_exact=o.row_count_exact,
                size_bytes=o.size_bytes,
                primary_key=list(o.primary_key),
                foreign_keys=list(o.foreign_keys),
                view_sql=o.view_sql,
                properties=o.properties,
            )
        elif self.manual_properties is not None:
            out["properties"] = self.manual_properties
        return out


OBJECT_TYPE_VALUES = frozenset(t.value for t in OBJECT_TYPES)
MANUAL_TYPE_VALUES = frozenset(t.value for t in MANUAL_TYPES)


@dataclass(frozen=True, slots=True)
class DiscoveryEvent:
    """A change a scan found on an asset: created, schema_changed, deleted, restored, ..."""

    id: int
    asset_id: int
    scan_run_id: int | None
    event_type: str
    diff: dict[str, Any]
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "asset_id": self.asset_id,
            "scan_run_id": self.scan_run_id,
            "event_type": self.event_type,
            "diff": self.diff,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class AssetDetail(Asset):
    """One asset with its children (its columns, for a table), glossary terms (paths) and
    last discovery events."""

    glossary_terms: tuple[str, ...] = ()
    children: tuple[Asset, ...] = ()
    events: tuple[DiscoveryEvent, ...] = ()

    @property
    def columns(self) -> tuple[Asset, ...]:
        """The column children of a table, view or dataset; () for other types."""
        return self.children if self.is_object else ()

    def public(self) -> dict[str, Any]:
        """The public form (``AssetDetailPublic``)."""
        out = Asset.public(self)
        out["glossary_terms"] = list(self.glossary_terms)
        kids = [k.public() for k in self.children]
        if self.is_object:
            out["columns"] = kids
        out["children"] = kids
        out["events"] = [e.public() for e in self.events]
        return out
