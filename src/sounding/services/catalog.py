"""Use cases for the catalog: list and read assets, curate their metadata."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from sounding.domain.assets import (
    MANUAL_TYPE_VALUES,
    OBJECT_TYPE_VALUES,
    Asset,
    AssetDetail,
    AssetType,
    ColumnFacts,
    DiscoveryEvent,
    ObjectFacts,
)
from sounding.domain.auth import AssetScope, Permission, Principal, Scope, ScopeKind
from sounding.domain.paging import Key
from sounding.errors import InvalidInputError, NotFoundError
from sounding.services import features, versions
from sounding.services.context import Context
from sounding.services.sources import get_row
from sounding.store import tables
from sounding.store.repos import assets as repo
from sounding.store.repos import audit

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

logger = logging.getLogger(__name__)

CURATED_FIELDS = (
    "description",
    "owner",
    "steward",
    "domain",
    "tags",
    "criticality",
    "lifecycle",
    "custom_properties",
)
EDIT_FIELDS = ("add_tags", "remove_tags", "add_terms", "remove_terms")
MAX_TAG = 200  # asset_tags.tag
CRITICALITY = ("low", "medium", "high", "critical")
LIFECYCLE = ("development", "staging", "production", "deprecated", "retired")


def record(row: Mapping[str, Any]) -> Asset:
    """The typed record of a stored asset row (as the asset repository selects it)."""
    props = row.get("source_properties") or {}
    column = objekt = None
    if row["type"] == AssetType.COLUMN.value:
        column = ColumnFacts(
            data_type=row["data_type"],
            nullable=row["nullable"],
            ordinal=row["ordinal"],
            default=row["default_value"],
            is_primary_key=bool(row["is_primary_key"]),
        )
    manual = None
    if row["type"] in MANUAL_TYPE_VALUES:
        manual = {k: v for k, v in props.items() if k != "comment"}
    elif row["type"] in OBJECT_TYPE_VALUES:
        objekt = ObjectFacts(
            row_count=row["row_count"],
            row_count_exact=row["row_count_exact"],
            size_bytes=row["size_bytes"],
            primary_key=tuple(props.get("primary_key", [])),
            foreign_keys=tuple(row["foreign_keys"] or []),
            view_sql=row["view_sql"],
            properties={k: v for k, v in props.items() if k not in ("comment", "primary_key")},
        )
    return Asset(
        id=row["id"],
        urn=row["urn"],
        name=row["name"],
        qualified_name=row["qualified_name"],
        type=row["type"],
        parent_id=row["parent_id"],
        source=row["source"],
        description=row["description"] or props.get("comment"),
        owner=row["owner"],
        steward=row["steward"],
        domain=row["domain"],
        tags=tuple(row["tags"] or []),
        criticality=row["criticality"],
        lifecycle=row["lifecycle"],
        custom_properties=row["custom_properties"] or {},
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        deleted_at=row["deleted_at"],
        revision=row.get("row_version"),
        column_facts=column,
        object_facts=objekt,
        manual_properties=manual,
    )


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    """The public form of a stored asset row (``AssetPublic``)."""
    return record(row).public()


ASSET_ORDER = repo.ASSET_ORDER


# --- scopes: what a policy on a domain, a source or a data product applies to ---------------

ScopeHook = Callable[[Connection, Asset], Iterable[Scope]]
SCOPE_HOOKS: list[ScopeHook] = []
"""More scopes of an asset, e.g. the data products it belongs to: a feature appends a function
``(conn, asset) -> scopes`` (data products register ``Scope(ScopeKind.DATA_PRODUCT, name)``
for each product holding the asset). Empty by default: no data-product scope matches."""


def domain_of(conn: Connection, asset: Asset) -> str | None:
    """The domain an asset belongs to: its own ``domain``, else its nearest ancestor's (a
    column of a finance table is a finance asset). The one place a policy's domain is matched:
    when domains become entities, this answers the domain's name."""
    if asset.domain:
        return asset.domain
    return repo.nearest_domain(conn, asset.parent_id)


def scope_of(ctx: Context, asset: Asset, conn: Connection | None = None) -> AssetScope:
    """The scopes ``asset`` is in: its domain, its source and whatever :data:`SCOPE_HOOKS`
    add."""
    if conn is None:
        if asset.domain and not SCOPE_HOOKS:  # everything is on the record: no read
            return AssetScope(
                asset.urn,
                frozenset(
                    {Scope(ScopeKind.SOURCE, asset.source), Scope(ScopeKind.DOMAIN, asset.domain)}
                ),
            )
        with ctx.db.read() as c:
            return scope_of(ctx, asset, c)
    scopes = {Scope(ScopeKind.SOURCE, asset.source)}
    domain = domain_of(conn, asset)
    if domain:
        scopes.add(Scope(ScopeKind.DOMAIN, domain))
    for hook in SCOPE_HOOKS:
        scopes.update(hook(conn, asset))
    return AssetScope(asset.urn, frozenset(scopes))


def can(ctx: Context, actor: Principal, permission: Permission, asset: Asset) -> bool:
    """Whether ``actor`` holds ``permission`` on ``asset`` (globally or through a policy on one
    of its scopes). Bulk edits call this per asset; one query per asset at most (none when
    the permission is global)."""
    if actor.can(permission):
        return True
    return actor.can(permission, scope_of(ctx, asset))


def require_on(ctx: Context, actor: Principal, permission: Permission, asset: Asset) -> None:
    """Raise :class:`PermissionDeniedError` (403) naming the permission, the asset and its
    scopes unless ``actor`` holds ``permission`` on ``asset``."""
    if actor.can(permission):
        return
    actor.require(permission, scope_of(ctx, asset))


def list_assets(
    ctx: Context,
    actor: Principal,
    *,
    limit: int,
    offset: int,
    source: str | None = None,
    type: str | None = None,
    parent_id: int | None = None,
    q: str | None = None,
    tag: str | None = None,
    include_deleted: bool = False,
    after: Key | None = None,
    domain: str | None = None,
) -> tuple[list[Asset], int]:
    """A page of assets by qualified name: from ``offset``, or after the key ``after`` of
    :data:`ASSET_ORDER`."""
    actor.require(Permission.CATALOG_READ)
    if type is not None and type not in {t.value for t in AssetType}:
        raise InvalidInputError(
            f"Unknown asset type {type!r}; choose one of: {', '.join(t.value for t in AssetType)}",
            field="type",
        )
    source_id = get_row(ctx, source)["id"] if source else None
    f = repo.AssetFilter(source_id, type, parent_id, q, tag, include_deleted, domain)
    with ctx.db.read() as conn:
        rows, total = repo.list_assets(conn, f, limit, offset, after)
    return [record(r) for r in rows], total


def _find(ctx: Context, ref: str | int) -> dict[str, Any]:
    with ctx.db.read() as conn:
        return _find_in(conn, ref)


def _find_in(conn: Connection, ref: str | int) -> dict[str, Any]:
    if isinstance(ref, int) or (ref.isascii() and ref.isdigit()):
        row = repo.get(conn, asset_id=int(ref))
    else:
        row = repo.get(conn, urn=ref)
    if row is None:
        raise NotFoundError(f"Asset {ref!r} not found (give an id or a URN)", asset=str(ref))
    return row


def get_asset(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    include_deleted: bool = False,
    *,
    children: bool = True,
) -> AssetDetail:
    """The asset with its children (columns for a table) and its last discovery events;
    ``children=False`` leaves the children out (empty lists) for callers that read them
    their own way."""
    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:  # one connection for the page (issue 20)
        row = _find_in(conn, ref)
        kids = repo.children(conn, row["id"], include_deleted) if children else []
        events = repo.events_for(conn, row["id"])
        provider = features.asset_terms()  # the glossary's, when it is installed
        terms = provider.term_paths(conn, row["id"]) if provider is not None else []
    base = record(row)
    return AssetDetail(
        **{f.name: getattr(base, f.name) for f in fields(Asset)},
        glossary_terms=tuple(terms),
        children=tuple(record(k) for k in kids),
        events=tuple(DiscoveryEvent(**e) for e in events),
    )


def update_asset(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> AssetDetail:
    """Edit curated fields. ``add_tags``/``remove_tags`` and ``add_terms``/``remove_terms``
    change the stored lists as they are at the moment of the write (concurrent adds all
    survive); ``if_match`` (an ETag) makes the write conditional. The actor needs
    ``catalog:write`` on the asset, and on the domain it moves the asset to."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    changes = dict(changes)
    edits = {k: _clean_list(k, changes.pop(k) or []) for k in EDIT_FIELDS if k in changes}
    unknown = sorted(set(changes) - set(CURATED_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Cannot edit {', '.join(unknown)}; editable fields: "
            f"{', '.join((*CURATED_FIELDS, *EDIT_FIELDS))}"
        )
    _check_edits(changes, edits)
    if changes.get("criticality") not in (None, *CRITICALITY):
        raise InvalidInputError(f"criticality must be one of {', '.join(CRITICALITY)}")
    if changes.get("lifecycle") not in (None, *LIFECYCLE):
        raise InvalidInputError(f"lifecycle must be one of {', '.join(LIFECYCLE)}")
    if "tags" in changes:
        changes["tags"] = sorted(set(_clean_list("tags", changes["tags"] or [])))
    terms = features.asset_terms()
    if terms is None and ("add_terms" in edits or "remove_terms" in edits):
        raise InvalidInputError("Cannot edit terms: no glossary feature is installed")
    row = _find(ctx, ref)
    current = record(row)
    require_on(ctx, actor, Permission.CATALOG_WRITE, current)
    if changes.get("domain") and not actor.can(Permission.CATALOG_WRITE):
        moved = AssetScope(current.urn, frozenset({Scope(ScopeKind.DOMAIN, changes["domain"])}))
        actor.require(Permission.CATALOG_WRITE, moved)
    with ctx.db.write() as conn:
        versions.check(conn, tables.assets, row["id"], if_match, f"Asset {row['urn']}")
        if "domain" in changes:
            changes["domain"] = check_domain(conn, changes["domain"])
        if "tags" in changes or "add_tags" in edits or "remove_tags" in edits:
            now = set(repo.tags_for_update(conn, row["id"]))
            if "tags" not in changes:
                changes["tags"] = sorted(
                    (now | set(edits.get("add_tags", []))) - set(edits.get("remove_tags", []))
                )
            # only tags being applied are checked: stored ones stay as they are
            features.check_asset_tags(conn, actor, sorted(set(changes["tags"]) - now))
        if terms is not None and ("add_terms" in edits or "remove_terms" in edits):
            terms.edit_links(
                conn,
                actor.name,
                row["id"],
                edits.get("add_terms", []),
                edits.get("remove_terms", []),
            )
        if "domain" in changes:  # checked as set_asset_domain does, in the same write
            changes["domain"] = check_domain(conn, changes["domain"])
        if "custom_properties" in changes:
            changes["custom_properties"] = check_custom_properties(
                conn, row["type"], changes["custom_properties"], row["custom_properties"]
            )
        repo.update_curated(conn, row["id"], changes)  # a new revision, even for terms only
        audit.record(
            conn,
            actor.name,
            "asset.update",
            "asset",
            row["urn"],
            {"fields": sorted({*changes, *edits}), **edits},
        )
    return get_asset(ctx, actor, row["id"])


def check_domain(conn: Connection, name: Any) -> str | None:
    """The domain to store on an asset: ``None`` or blank takes it out of its domain, a name
    must be a domain's (``InvalidInputError`` otherwise) and is stored as that domain spells
    it. The one check every path that sets an asset's domain goes through; call it inside the
    transaction that writes the asset."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise InvalidInputError("domain must be a domain's name (a string)", field="domain")
    if not name.strip():
        return None
    return features.check_asset_domain(conn, name.strip())


def set_asset_domain(conn: Connection, asset_ids: Sequence[int], domain: Any) -> str | None:
    """Put the assets in ``domain`` (``None``: in none), checked by :func:`check_domain`:
    the catalog's one asset-domain setter (the single PATCH, bulk curation and catalog import
    all call it). Returns the stored value."""
    value = check_domain(conn, domain)
    for asset_id in asset_ids:
        repo.update_curated(conn, asset_id, {"domain": value})
    return value


def check_custom_properties(
    conn: Connection,
    asset_type: str,
    values: Any,
    stored: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The custom properties an asset of ``asset_type`` may store: a JSON object with string
    keys, then checked by the features' typed property definitions (per asset type;
    :func:`features.check_asset_properties`). ``stored``: what the asset holds now (a value
    kept unchanged is kept as it is, even one no definition allows). The one place values
    are checked before they are stored: call it inside the transaction that writes them."""
    if values is None:
        values = {}
    if not isinstance(values, dict) or not all(isinstance(k, str) and k for k in values):
        raise InvalidInputError(
            "custom_properties must be an object with non-empty string keys",
            field="custom_properties",
        )
    return features.check_asset_properties(conn, asset_type, values, stored)


def assign_domain(
    ctx: Context,
    actor: Principal,
    ref: str | int,
    domain: str | None,
    *,
    if_match: str | None = None,
) -> AssetDetail:
    """Put an asset in a domain (by name) or, with ``None``, in none: the one function that
    sets an asset's domain (bulk curation and imports call it, or :func:`check_domain` in
    their own transaction); an unknown domain is an ``InvalidInputError``."""
    return update_asset(ctx, actor, ref, {"domain": domain}, if_match=if_match)


def _clean_list(field: str, values: Any) -> list[str]:
    """Tags or term references: stripped, blanks dropped, each of a storable length."""
    if not isinstance(values, list | tuple):
        raise InvalidInputError(f"{field} must be a list of strings", field=field)
    out = [str(v).strip() for v in values if str(v).strip()]
    long = [v for v in out if len(v) > MAX_TAG]
    if long:
        raise InvalidInputError(
            f"{field}: {long[0][:40]!r}... is longer than {MAX_TAG} characters", field=field
        )
    return out


def _check_edits(changes: dict[str, Any], edits: dict[str, list[str]]) -> None:
    if "tags" in changes and ("add_tags" in edits or "remove_tags" in edits):
        raise InvalidInputError(
            "Send either tags (the whole new list) or add_tags/remove_tags (changes to the "
            "list as stored), not both",
            field="tags",
        )
    for kind in ("tags", "terms"):
        both = set(edits.get(f"add_{kind}", [])) & set(edits.get(f"remove_{kind}", []))
        if both:
            raise InvalidInputError(
                f"{', '.join(sorted(both))} is in both add_{kind} and remove_{kind}",
                field=f"add_{kind}",
            )


# --- glossary terms of assets, for the services that curate many assets at once ----------


def _terms() -> features.AssetTerms:
    provider = features.asset_terms()  # the glossary's, when it is installed
    if provider is None:
        raise InvalidInputError("Cannot use glossary terms: no glossary feature is installed")
    return provider


def term_path(conn: Connection, ref: str) -> str:
    """The path of a glossary term given by id or path; 404 naming it when there is none."""
    return _terms().term_path(conn, ref)


def term_paths(conn: Connection, asset_ids: Sequence[int]) -> dict[int, list[str]]:
    """The accepted glossary terms (paths) of each asset that has some (none without a
    glossary)."""
    provider = features.asset_terms()
    return provider.term_paths_many(conn, asset_ids) if provider is not None else {}


def edit_terms(
    conn: Connection, actor: str, asset_id: int, add: Sequence[str], remove: Sequence[str]
) -> None:
    """Link ``add`` and unlink ``remove`` (term ids or paths) in the open write."""
    _terms().edit_links(conn, actor, asset_id, add, remove)
