"""Discovery as data: what a connector described, diffed against what the catalog holds.

Pure functions, no I/O. ``desired_assets`` turns one ``DiscoveredObject`` into catalog
records (the object and its columns); ``plan_object`` compares them with the existing rows
and returns a ``Plan``: rows to insert, rows to update, rows to soft-delete, and the events.

Event rules (documented in docs/concepts.md):
- a new asset is ``created``; a soft-deleted one that reappears is ``restored``;
- a column whose type, nullability, key or position changed is ``schema_changed``, and its
  table gets one ``schema_changed`` event listing added, removed and changed columns;
- other discovered metadata (view SQL, foreign keys, defaults, comments) is ``updated``;
- the columns of a table that is created, deleted or restored as a whole are listed in the
  table's event (``{"columns": [...]}``) rather than given one event each, as catalogs record
  entity-level change events; a column added to or dropped from a live table has its own;
- statistics (row count, size) are refreshed silently: they are not metadata changes;
- curated fields (owner, description, tags, ...) are never touched by a scan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sounding.domain.assets import AssetType, DiscoveredObject, ObjectRef
from sounding.domain.scans import EventType
from sounding.domain.urn import join_qualified, make_urn, quote_part

SCHEMA_FIELDS = ("data_type", "nullable", "is_primary_key", "ordinal")
METADATA_FIELDS = ("default_value", "foreign_keys", "view_sql", "source_properties")
STAT_FIELDS = ("row_count", "row_count_exact", "size_bytes", "fingerprint")


@dataclass(frozen=True)
class DesiredAsset:
    urn: str
    type: AssetType
    name: str
    qualified_name: str
    parent_urn: str | None
    fields: dict[str, Any]


@dataclass(frozen=True)
class ExistingAsset:
    id: int
    urn: str
    type: str
    parent_id: int | None
    deleted: bool
    fields: dict[str, Any]


@dataclass
class Plan:
    inserts: list[DesiredAsset] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    restores: list[int] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    # events name assets by URN; the writer resolves ids after inserting
    events: list[tuple[str, EventType, dict[str, Any]]] = field(default_factory=list)


def source_urn(source: str) -> str:
    return make_urn(source, ())


def container_assets(
    source: str, ref: ObjectRef, container_types: Sequence[AssetType]
) -> list[DesiredAsset]:
    """The database/schema assets above an object, outermost first."""
    out: list[DesiredAsset] = []
    parent = source_urn(source)
    for depth, kind in enumerate(container_types):
        path = ref.path[: depth + 1]
        urn = make_urn(source, path)
        out.append(DesiredAsset(urn, kind, path[-1], join_qualified(path), parent, {}))
        parent = urn
    return out


def desired_assets(
    source: str,
    obj: DiscoveredObject,
    container_types: Sequence[AssetType],
    fingerprint: str | None = None,
) -> list[DesiredAsset]:
    """The object itself, then its columns."""
    ref = obj.ref
    parent = (
        make_urn(source, ref.path[: len(container_types)])
        if container_types
        else (source_urn(source))
    )
    urn = make_urn(source, ref.path)
    props = dict(obj.properties)
    if obj.comment:
        props["comment"] = obj.comment
    if obj.primary_key:
        props["primary_key"] = list(obj.primary_key)
    fks = [
        {
            "name": fk.name,
            "columns": list(fk.columns),
            "referred_urn": make_urn(source, fk.referred_path),
            "referred_columns": list(fk.referred_columns),
        }
        for fk in obj.foreign_keys
    ]
    table = DesiredAsset(
        urn,
        ref.type,
        ref.name,
        join_qualified(ref.path),
        parent,
        {
            "foreign_keys": fks or None,
            "view_sql": obj.view_sql,
            "source_properties": props,
            "row_count": obj.row_count,
            "row_count_exact": obj.row_count_exact,
            "size_bytes": obj.size_bytes,
            "fingerprint": fingerprint or obj.fingerprint(),
        },
    )
    # make_urn(source, path, column) and join_qualified((*path, column)), with the object's
    # part built once: a URN's column suffix is "#" + the quoted column, a name's "." + it
    qualified = table.qualified_name
    columns = []
    for col in obj.columns:
        quoted = quote_part(col.name)
        columns.append(
            DesiredAsset(
                f"{urn}#{quoted}",
                AssetType.COLUMN,
                col.name,
                f"{qualified}.{quoted}",
                urn,
                {
                    "data_type": col.data_type,
                    "nullable": col.nullable,
                    "ordinal": col.ordinal,
                    "default_value": col.default,
                    "is_primary_key": col.is_primary_key,
                    "source_properties": {"comment": col.comment} if col.comment else {},
                },
            )
        )
    return [table, *columns]


def _changed(
    desired: DesiredAsset, existing: ExistingAsset, names: Sequence[str]
) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name in names:
        if name not in desired.fields:
            continue
        old, new = existing.fields.get(name), desired.fields[name]
        if _norm(old) != _norm(new):
            diff[name] = {"old": old, "new": new}
    return diff


def _norm(value: Any) -> Any:
    return None if value in ({}, [], "") else value


def plan_asset(
    desired: DesiredAsset, existing: ExistingAsset | None, plan: Plan, quiet: bool = False
) -> str | None:
    """Plan one asset; returns 'added', 'changed', or None (nothing to report upward).

    ``quiet`` plans the writes without events (the parent's event speaks for it).
    """
    if existing is None:
        plan.inserts.append(desired)
        if not quiet:
            plan.events.append((desired.urn, EventType.CREATED, {}))
        return "added"
    schema = _changed(desired, existing, SCHEMA_FIELDS)
    meta = _changed(desired, existing, METADATA_FIELDS)
    stats = _changed(desired, existing, STAT_FIELDS)
    if schema or meta or stats or existing.deleted:
        plan.updates.append((existing.id, dict(desired.fields)))
    if existing.deleted:
        plan.restores.append(existing.id)
        if not quiet:
            plan.events.append((desired.urn, EventType.RESTORED, {**schema, **meta}))
        return "added"
    if schema:
        plan.events.append((desired.urn, EventType.SCHEMA_CHANGED, schema))
        return "changed"
    if meta:
        plan.events.append((desired.urn, EventType.UPDATED, meta))
    return None


def plan_object(
    desired: Sequence[DesiredAsset],
    existing: Mapping[str, ExistingAsset],
    existing_columns: Sequence[ExistingAsset],
) -> Plan:
    """Diff one object (``desired[0]``) and its columns against the catalog."""
    plan = Plan()
    table, columns = desired[0], desired[1:]
    table_existing = existing.get(table.urn)
    plan_asset(table, table_existing, plan)
    if table_existing is None or table_existing.deleted:
        for col in columns:
            plan_asset(col, existing.get(col.urn), plan, quiet=True)
        wanted = {c.urn for c in columns}
        for gone in existing_columns:
            if gone.urn not in wanted and not gone.deleted:
                plan.deletes.append(gone.id)
        _, kind, payload = plan.events[-1]
        plan.events[-1] = (table.urn, kind, {**payload, "columns": [c.name for c in columns]})
        return plan
    added: list[str] = []
    changed: dict[str, Any] = {}
    for col in columns:
        outcome = plan_asset(col, existing.get(col.urn), plan)
        if outcome == "added":
            added.append(col.name)
        elif outcome == "changed":
            changed[col.name] = _changed(col, existing[col.urn], SCHEMA_FIELDS)
    wanted = {c.urn for c in columns}
    removed = [c for c in existing_columns if c.urn not in wanted and not c.deleted]
    for gone in removed:
        plan.deletes.append(gone.id)
        plan.events.append((gone.urn, EventType.DELETED, {}))
    if added or changed or removed:
        names = {c.urn: c.fields.get("name", c.urn) for c in removed}
        plan.events.append(
            (
                table.urn,
                EventType.SCHEMA_CHANGED,
                {
                    "added_columns": added,
                    "removed_columns": sorted(str(n) for n in names.values()),
                    "changed_columns": changed,
                },
            )
        )
    return plan
