"""What a connector yields and the catalog keeps: asset types and discovered objects."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
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


CONTAINER_TYPES = (AssetType.DATABASE, AssetType.SCHEMA)
OBJECT_TYPES = (AssetType.TABLE, AssetType.VIEW, AssetType.DATASET)


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
