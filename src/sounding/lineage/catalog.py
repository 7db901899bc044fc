"""Table names and the columns we know of them.

Names are normalised the same way everywhere: parts lower-cased, quotes removed, joined by
``.``; a name qualified with the default schema is written without it. Columns come from the
schema the caller passes (flat ``{"db.table": [cols]}`` or nested ``{"db": {"table": {col:
type}}}``) and from the script itself: ``CREATE TABLE ... AS``/``CREATE VIEW`` register the
columns they define for the statements after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlglot import exp

from sounding.errors import InvalidInputError

# Spark SQL can query files directly: SELECT * FROM parquet.`/path/to/dir`
_FILE_FORMATS = frozenset({"parquet", "json", "csv", "orc", "avro", "text", "delta", "binaryfile"})


def normalize_name(parts: Iterable[str]) -> str:
    return ".".join(part.lower() for part in parts if part)


def is_path(name: str) -> bool:
    return "://" in name or name.startswith("/")


class Catalog:
    """Known columns per table, with lookups that tolerate partial qualification."""

    def __init__(self, schema: Mapping[str, Any] | None, default_schema: str | None) -> None:
        self.default_schema = default_schema.lower() if default_schema else None
        self._columns: dict[str, list[str]] = {}
        self._by_last: dict[str, list[str]] = {}
        for name, columns in _flatten(schema or {}):
            self._put(self.canonical(name), columns)
        self._session: dict[str, list[str]] = {}

    def fresh(self) -> Catalog:
        """A catalog sharing these (read-only) tables with an empty session, so one
        flattened schema serves many parses (a scan's hundreds of views)."""
        other = object.__new__(Catalog)
        other.default_schema = self.default_schema
        other._columns = self._columns
        other._by_last = self._by_last
        other._session = {}
        return other

    def _put(self, name: str, columns: list[str]) -> None:
        self._columns[name] = columns
        self._by_last.setdefault(name.rsplit(".", 1)[-1], []).append(name)

    def canonical(self, name: str) -> str:
        """``name`` without the default-schema prefix."""
        if self.default_schema and name.startswith(self.default_schema + "."):
            rest = name[len(self.default_schema) + 1 :]
            if "." not in rest:
                return rest
        return name

    def table_name(self, table: exp.Table) -> str:
        """The normalised name of a table reference (a path for Spark file queries)."""
        parts = [table.catalog, table.db, table.name]
        if table.db.lower() in _FILE_FORMATS and not table.catalog and _quoted(table):
            return table.name
        return self.canonical(normalize_name(parts))

    def define(self, name: str, columns: list[str]) -> None:
        """Register the columns a statement of the script gave ``name``."""
        self._session[name] = columns

    def forget(self, name: str) -> None:
        self._session.pop(name, None)

    def columns(self, name: str) -> list[str] | None:
        """Known columns of ``name``, or ``None`` when its shape is unknown."""
        if name in self._session:
            return self._session[name]
        if name in self._columns:
            return self._columns[name]
        # A reference more or less qualified than the catalog key: match on trailing parts.
        candidates = [
            key
            for key in self._by_last.get(name.rsplit(".", 1)[-1], [])
            if key.endswith("." + name) or name.endswith("." + key)
        ]
        return self._columns[candidates[0]] if len(candidates) == 1 else None


def _quoted(table: exp.Table) -> bool:
    ident = table.this
    return isinstance(ident, exp.Identifier) and bool(ident.args.get("quoted"))


def _flatten(schema: Mapping[str, Any], prefix: str = "") -> list[tuple[str, list[str]]]:
    """``(dotted table name, columns)`` pairs of a flat or nested schema mapping."""
    tables: list[tuple[str, list[str]]] = []
    for key, value in schema.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, (list, tuple)) or (
            isinstance(value, Mapping) and value and all(isinstance(v, str) for v in value.values())
        ):
            tables.append((name, [str(c).lower() for c in value]))
        elif isinstance(value, Mapping):
            tables.extend(_flatten(value, name))
        else:
            raise InvalidInputError(
                f"Schema entry {name!r} must list columns or map them to types", table=name
            )
    return tables
