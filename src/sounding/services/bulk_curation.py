"""Curate many assets at once: one change applied to a selection, all or nothing.

The selection is a search (``query`` and ``filters``, as ``GET /api/v1/search`` takes them,
keyword mode) or a list of URNs, at most :data:`MAX_SELECTION` assets. The change sets
owner, steward, domain, criticality, lifecycle and custom properties (merged key by key; a
key set to null is removed), and adds or removes tags and glossary terms. Everything is
checked before anything is written, and written in one transaction, with one audit entry
per asset changed; a dry run returns the same before/after per asset and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.auth import AssetScope, Permission, Principal, Scope, ScopeKind
from sounding.domain.search import GLOSSARY_TERM
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import catalog, search
from sounding.services.context import Context
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit

MAX_SELECTION = 1000
PAGE = 200  # search hits read at a time
# the filters of GET /api/v1/search (its query parameters) -> the search's own names
FILTERS = {
    "type": "types",
    "source": "sources",
    "schema": "schemas",
    "domain": "domains",
    "tag": "tags",
    "label": "classifications",
    "owner": "owners",
    "lifecycle": "lifecycles",
    "criticality": "criticalities",
    "term": "terms",
    "property": "properties",
    "missing": "missing",
}
MAX_PERSON = 200  # assets.owner / assets.steward
SETTABLE = ("owner", "steward", "domain", "criticality", "lifecycle", "custom_properties")


@dataclass(frozen=True, slots=True)
class BulkChange:
    """What to do to every selected asset."""

    set: dict[str, Any] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    add_terms: tuple[str, ...] = ()
    remove_terms: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.set or self.add_tags or self.remove_tags or self.add_terms or self.remove_terms
        )


@dataclass(frozen=True, slots=True)
class AssetChange:
    """One asset the change touches: the fields that change, before and after."""

    id: int
    urn: str
    name: str
    type: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BulkResult:
    dry_run: bool
    matched: int  # assets selected
    changed: int  # of them, how many the change alters
    items: tuple[AssetChange, ...]


def _check_change(conn: Connection, change: BulkChange) -> tuple[dict[str, Any], set[str]]:
    """The set values checked (422 naming the field), and the paths of the terms named
    (404 naming a term that does not exist)."""
    unknown = sorted(set(change.set) - set(SETTABLE))
    if unknown:
        raise InvalidInputError(
            f"Cannot set {', '.join(unknown)} in bulk; settable: {', '.join(SETTABLE)}",
            field="set",
        )
    if change.empty:
        raise InvalidInputError(
            "Nothing to change: give set, add_tags, remove_tags, add_terms or remove_terms"
        )
    values = dict(change.set)
    for person in ("owner", "steward"):
        if person in values and values[person] is not None:
            text = str(values[person]).strip()
            if len(text) > MAX_PERSON:
                raise InvalidInputError(
                    f"{person} is longer than {MAX_PERSON} characters", field=person
                )
            values[person] = text or None
    if values.get("criticality") not in (None, *catalog.CRITICALITY):
        raise InvalidInputError(
            f"criticality {values['criticality']!r}: use {', '.join(catalog.CRITICALITY)}",
            field="criticality",
        )
    if values.get("lifecycle") not in (None, *catalog.LIFECYCLE):
        raise InvalidInputError(
            f"lifecycle {values['lifecycle']!r}: use {', '.join(catalog.LIFECYCLE)}",
            field="lifecycle",
        )
    if "domain" in values:
        values["domain"] = catalog.check_domain(conn, values["domain"])
    if "custom_properties" in values and not isinstance(values["custom_properties"], dict):
        raise InvalidInputError(
            "custom_properties must be an object (a key set to null is removed)",
            field="custom_properties",
        )
    for kind in ("tags", "terms"):
        adds, removes = getattr(change, f"add_{kind}"), getattr(change, f"remove_{kind}")
        catalog._clean_list(f"add_{kind}", list(adds))
        catalog._clean_list(f"remove_{kind}", list(removes))
        both = set(adds) & set(removes)
        if both:
            raise InvalidInputError(
                f"{', '.join(sorted(both))} is in both add_{kind} and remove_{kind}",
                field=f"add_{kind}",
            )
    paths = {catalog.term_path(conn, ref) for ref in (*change.add_terms, *change.remove_terms)}
    return values, paths


def search_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The search's filters from the names ``GET /api/v1/search`` takes (``type``,
    ``source``, ... each a value or a list; ``quality_min``, ``quality_max``, ``deleted``)."""
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if key in FILTERS:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
                raise InvalidInputError(f"filter {key} must be a string or a list of strings")
            out[FILTERS[key]] = tuple(values)
        elif key in ("quality_min", "quality_max"):
            if value is not None and not isinstance(value, int | float):
                raise InvalidInputError(f"filter {key} must be a number in 0..1", field=key)
            out[key] = value
        else:
            raise InvalidInputError(
                f"Unknown filter {key!r}; use "
                f"{', '.join((*FILTERS, 'quality_min', 'quality_max'))}",
                field="filters",
            )
    return out


def select(
    ctx: Context,
    actor: Principal,
    *,
    query: str | None = None,
    filters: dict[str, Any] | None = None,
    urns: Sequence[str] | None = None,
) -> list[int]:
    """The ids of the selected assets, or 422 when the selection is empty of criteria or
    larger than :data:`MAX_SELECTION`."""
    if urns is not None and (query is not None or filters):
        raise InvalidInputError("Select by urns or by query/filters, not both", field="urns")
    if urns is not None:
        if len(urns) > MAX_SELECTION:
            raise InvalidInputError(
                f"{len(urns)} URNs: at most {MAX_SELECTION} assets per bulk change",
                field="urns",
            )
        ids, missing = [], []
        with ctx.db.read() as conn:
            for urn in dict.fromkeys(urns):
                row = asset_repo.get(conn, urn=urn)
                if row is None or row["deleted_at"] is not None:
                    missing.append(urn)
                else:
                    ids.append(int(row["id"]))
        if missing:
            raise NotFoundError(
                f"{len(missing)} URNs are not in the catalog, e.g. {missing[0]!r}; nothing "
                "was changed",
                urns=missing[:20],
            )
        return ids
    if query is None and not filters:
        raise InvalidInputError(
            "Select assets: give urns, or a query and/or filters (the search syntax)",
            field="query",
        )
    f = search_filters(filters or {})
    found: list[int] = []
    offset, total = 0, 0
    while True:
        page = search.search(
            ctx, actor, query or "", limit=PAGE, offset=offset, mode="keyword", filters=f
        )
        total = int(page["total"])
        if total > MAX_SELECTION:
            raise InvalidInputError(
                f"The selection has {total} assets: at most {MAX_SELECTION} per bulk change; "
                "narrow the query or the filters",
                field="query",
                total=total,
            )
        found += [int(h["id"]) for h in page["items"] if h["type"] != GLOSSARY_TERM]
        offset += PAGE
        if offset >= total or not page["items"]:
            return list(dict.fromkeys(found))


def _state(conn: Connection, row: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        if name == "tags":
            out["tags"] = sorted(row["tags"] or [])
        elif name == "terms":
            out["terms"] = sorted(catalog.term_paths(conn, [row["id"]]).get(row["id"], []))
        else:
            out[name] = row[name] if name != "custom_properties" else dict(row[name] or {})
    return out


def _after(
    conn: Connection,
    row: dict[str, Any],
    before: dict[str, Any],
    values: dict[str, Any],
    change: BulkChange,
    term_paths: dict[str, str],
) -> dict[str, Any]:
    after = dict(before)
    for name, value in values.items():
        if name == "custom_properties":
            merged = dict(before["custom_properties"])
            for k, v in value.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            after[name] = catalog.check_custom_properties(
                conn, row["type"], merged, row["custom_properties"]
            )
        else:
            after[name] = value
    if change.add_tags or change.remove_tags:
        after["tags"] = sorted(
            (set(before["tags"]) | {t.strip() for t in change.add_tags})
            - {t.strip() for t in change.remove_tags}
        )
    if change.add_terms or change.remove_terms:
        adds = {term_paths[r] for r in change.add_terms}
        removes = {term_paths[r] for r in change.remove_terms}
        after["terms"] = sorted((set(before["terms"]) | adds) - removes)
    return after


def bulk_update(
    ctx: Context,
    actor: Principal,
    change: BulkChange,
    *,
    query: str | None = None,
    filters: dict[str, Any] | None = None,
    urns: Sequence[str] | None = None,
    dry_run: bool = False,
) -> BulkResult:
    """Apply ``change`` to the selected assets in one transaction (or, ``dry_run``, say what
    it would change). Any bad value, unknown term or asset fails the whole request, and so
    does an asset the actor may not curate (``catalog:write`` globally or by a policy on the
    asset's domain, source or data product; moving assets to a domain needs it there too)."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    ids = select(ctx, actor, query=query, filters=filters, urns=urns)
    fields = set(change.set)
    if change.add_tags or change.remove_tags:
        fields.add("tags")
    if change.add_terms or change.remove_terms:
        fields.add("terms")
    items: list[AssetChange] = []
    open_ = ctx.db.read if dry_run else ctx.db.write
    with open_() as conn:
        values, _ = _check_change(conn, change)
        term_paths = {
            ref: catalog.term_path(conn, ref) for ref in (*change.add_terms, *change.remove_terms)
        }
        rows = asset_repo.get_many(conn, ids)
        _require_scoped(ctx, conn, actor, rows, values.get("domain"))
        for row in sorted(rows, key=lambda r: str(r["urn"])):
            if not dry_run and "tags" in fields:
                row["tags"] = asset_repo.tags_for_update(conn, row["id"])  # locked
            before = _state(conn, row, fields)
            after = _after(conn, row, before, values, change, term_paths)
            diff = {k for k in fields if before[k] != after[k]}
            if not diff:
                continue
            items.append(
                AssetChange(
                    id=int(row["id"]),
                    urn=str(row["urn"]),
                    name=str(row["name"]),
                    type=str(row["type"]),
                    before={k: before[k] for k in sorted(diff)},
                    after={k: after[k] for k in sorted(diff)},
                )
            )
        if not dry_run:
            _apply(conn, actor.name, items, change, values.get("domain"))
    return BulkResult(dry_run=dry_run, matched=len(ids), changed=len(items), items=tuple(items))


def _require_scoped(
    ctx: Context,
    conn: Connection,
    actor: Principal,
    rows: Sequence[dict[str, Any]],
    domain: str | None,
) -> None:
    """403 naming the first selected asset ``actor`` may not curate (nothing is written)."""
    if actor.can(Permission.CATALOG_WRITE):
        return
    for row in sorted(rows, key=lambda r: str(r["urn"])):
        asset = catalog.record(row)
        actor.require(Permission.CATALOG_WRITE, catalog.scope_of(ctx, asset, conn))
        if domain:
            target = AssetScope(asset.urn, frozenset({Scope(ScopeKind.DOMAIN, domain)}))
            actor.require(Permission.CATALOG_WRITE, target)


def _apply(
    conn: Connection,
    actor: str,
    items: Sequence[AssetChange],
    change: BulkChange,
    domain: str | None,
) -> None:
    in_domain = [i.id for i in items if "domain" in i.after]
    if in_domain:  # through the catalog's one domain setter
        catalog.set_asset_domain(conn, in_domain, domain)
    for item in items:
        values = {k: v for k, v in item.after.items() if k not in ("terms", "domain")}
        if "terms" in item.after:
            catalog.edit_terms(
                conn, actor, item.id, list(change.add_terms), list(change.remove_terms)
            )
        if values or "terms" in item.after:
            asset_repo.update_curated(conn, item.id, values)
        audit.record(
            conn,
            actor,
            "asset.bulk_update",
            "asset",
            item.urn,
            {"before": item.before, "after": item.after},
        )


@dataclass(frozen=True, slots=True)
class SelectedAsset:
    urn: str
    name: str
    type: str


def describe(ctx: Context, actor: Principal, urns: Sequence[str]) -> list[SelectedAsset]:
    """Name and type of each URN that is in the catalog (the web UI's ticked rows)."""
    actor.require(Permission.CATALOG_READ)
    out = []
    with ctx.db.read() as conn:
        for urn in list(dict.fromkeys(urns))[:MAX_SELECTION]:
            row = asset_repo.get(conn, urn=urn)
            if row is not None:
                out.append(SelectedAsset(str(row["urn"]), str(row["name"]), str(row["type"])))
    return out
