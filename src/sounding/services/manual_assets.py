"""Assets no scanner finds: dashboards, charts, pipelines, ML models, API endpoints.

They live under a source of kind ``manual`` (created on first use, never scanned), so a scan
of any other source can neither mark them removed nor delete them. Their URN is
``urn:sounding:<source>:<type>.<name>`` (``urn:sounding:bi:dashboard."Revenue board"``); a
chart sits under a dashboard, a pipeline or ML model may sit under a pipeline. Lineage to and
from tables uses manual edges (origin ``manual``), as ``sounding lineage add`` does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from sounding.domain.assets import (
    MANUAL_PARENTS,
    MANUAL_TYPE_ALIASES,
    MANUAL_TYPE_VALUES,
    AssetDetail,
)
from sounding.domain.auth import Permission, Principal
from sounding.domain.urn import join_qualified, make_urn
from sounding.errors import ConflictError, InvalidInputError, NotFoundError
from sounding.services import catalog
from sounding.services.context import Context
from sounding.services.secrets import redact_url
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import lineage as lineage_repo
from sounding.store.repos import sources as source_repo

MANUAL_KIND = "manual"  # a source that holds assets created by hand; never scanned
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_NAME = 200
MAX_EDGES = 100  # upstream + downstream assets named at creation


@dataclass(frozen=True, slots=True)
class ManualAssetSpec:
    """What a new manual asset is: ``upstream``/``downstream`` name assets (ids or URNs)
    its lineage joins (a table feeding a dashboard is upstream of it)."""

    type: str
    name: str
    source: str
    parent: str | None = None
    description: str | None = None
    owner: str | None = None
    steward: str | None = None
    domain: str | None = None
    tags: tuple[str, ...] = ()
    criticality: str | None = None
    lifecycle: str | None = None
    custom_properties: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    upstream: tuple[str, ...] = ()
    downstream: tuple[str, ...] = ()


def asset_type(value: str) -> str:
    """The type named ``value`` (aliases: report, job, model, api), or a 422 listing them."""
    name = MANUAL_TYPE_ALIASES.get(value.strip().lower(), value.strip().lower())
    if name not in MANUAL_TYPE_VALUES:
        raise InvalidInputError(
            f"Unknown asset type {value!r} for an asset created by hand; use one of: "
            f"{', '.join(sorted(MANUAL_TYPE_VALUES))} (or report, job, model, api)",
            field="type",
        )
    return name


def source_kind(conn: Connection, source_name: str) -> str | None:
    """The kind of the source ``source_name``, or None when there is no such source."""
    row = source_repo.get_by_name(conn, source_name)
    return None if row is None else str(row["kind"])


def manual_source(ctx: Context, conn: Connection, name: str, actor: str) -> tuple[int, int]:
    """The manual source ``name`` and its root asset's id, created on first use. A source of
    that name that a scanner reads is refused: scans own its assets."""
    if not SOURCE_NAME.match(name or ""):
        raise InvalidInputError(
            "source must be 1-100 letters, digits, '_', '.', '-' (starting with a letter or "
            f"digit): {name!r}",
            field="source",
        )
    row = source_repo.get_by_name(conn, name)
    root_urn = make_urn(name, ())
    if row is not None:
        if row["kind"] != MANUAL_KIND:
            raise InvalidInputError(
                f"Source '{name}' is scanned (kind {row['kind']}); assets created by hand go "
                "in a source of kind manual: name another source (it is created on first use)",
                field="source",
            )
        root = asset_repo.get(conn, urn=root_urn)
        assert root is not None
        return int(row["id"]), int(root["id"])
    url = f"manual:{name}"
    source_id = source_repo.insert(
        conn,
        {
            "name": name,
            "kind": MANUAL_KIND,
            "url_encrypted": ctx.secrets.encrypt(url),
            "url_redacted": redact_url(url),
            "options": {},
            "description": "Assets created by hand (dashboards, pipelines, models, ...)",
        },
    )
    ids = asset_repo.insert_many(conn, [_row(source_id, None, root_urn, "source", name, name)])
    audit.record(conn, actor, "source.create", "source", name, {"kind": MANUAL_KIND})
    return source_id, ids[root_urn]


def _row(
    source_id: int,
    parent_id: int | None,
    urn: str,
    type_: str,
    name: str,
    qualified: str,
    **extra: Any,
) -> dict[str, Any]:
    now = utcnow()
    return {
        "source_id": source_id,
        "parent_id": parent_id,
        "urn": urn,
        "type": type_,
        "name": name,
        "qualified_name": qualified,
        "tags": [],
        "custom_properties": {},
        "source_properties": {},
        "description": None,
        "owner": None,
        "steward": None,
        "domain": None,
        "criticality": None,
        "lifecycle": None,
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
        **extra,
    }


def urn_for(source: str, type_: str, name: str) -> str:
    return make_urn(source, (type_, name))


def _find(conn: Connection, ref: str) -> dict[str, Any]:
    ref = str(ref).strip()
    row = (
        asset_repo.get(conn, asset_id=int(ref))
        if ref.isascii() and ref.isdigit()
        else asset_repo.get(conn, urn=ref)
    )
    if row is None or row["deleted_at"] is not None:
        raise NotFoundError(f"Asset {ref!r} not found (give an id or a URN)", asset=ref)
    return row


def check_spec(spec: ManualAssetSpec) -> ManualAssetSpec:
    """The spec with its type resolved and its name trimmed; 422 naming what to fix."""
    name = (spec.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInputError(f"name must be 1-{MAX_NAME} characters", field="name")
    if len(spec.upstream) + len(spec.downstream) > MAX_EDGES:
        raise InvalidInputError(
            f"At most {MAX_EDGES} upstream and downstream assets at once", field="upstream"
        )
    if spec.criticality not in (None, *catalog.CRITICALITY):
        raise InvalidInputError(
            f"criticality must be one of {', '.join(catalog.CRITICALITY)}", field="criticality"
        )
    if spec.lifecycle not in (None, *catalog.LIFECYCLE):
        raise InvalidInputError(
            f"lifecycle must be one of {', '.join(catalog.LIFECYCLE)}", field="lifecycle"
        )
    if not isinstance(spec.properties, dict):
        raise InvalidInputError("properties must be an object", field="properties")
    return ManualAssetSpec(
        **{**_fields(spec), "type": asset_type(spec.type), "name": name},
    )


def _fields(spec: ManualAssetSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in ManualAssetSpec.__dataclass_fields__}


def insert(ctx: Context, conn: Connection, actor: str, spec: ManualAssetSpec) -> int:
    """Insert a checked spec in the open write; returns the new asset's id. 409 if an asset
    of that type and name is already in the source."""
    source_id, root_id = manual_source(ctx, conn, spec.source, actor)
    urn = urn_for(spec.source, spec.type, spec.name)
    if asset_repo.get(conn, urn=urn) is not None:
        raise ConflictError(
            f"The {spec.type} {spec.name!r} already exists in source '{spec.source}' ({urn}); "
            "update it instead",
            urn=urn,
        )
    parent_id, qualified = root_id, join_qualified((spec.name,))
    allowed = MANUAL_PARENTS[spec.type]
    if spec.parent:
        parent = _find(conn, spec.parent)
        if parent["type"] not in allowed or parent["source_id"] != source_id:
            where = (
                f"a {' or '.join(allowed)} of source '{spec.source}'"
                if allowed
                else f"the source '{spec.source}' itself (no parent)"
            )
            raise InvalidInputError(
                f"A {spec.type} sits under {where}; {spec.parent!r} is a {parent['type']}",
                field="parent",
            )
        parent_id = parent["id"]
        qualified = join_qualified((*_split(parent["qualified_name"]), spec.name))
    tags = sorted(set(catalog._clean_list("tags", list(spec.tags))))
    row = _row(
        source_id,
        parent_id,
        urn,
        spec.type,
        spec.name,
        qualified,
        description=spec.description,
        owner=spec.owner,
        steward=spec.steward,
        domain=catalog.check_domain(conn, spec.domain),
        criticality=spec.criticality,
        lifecycle=spec.lifecycle,
        custom_properties=catalog.check_custom_properties(conn, spec.type, spec.custom_properties),
        source_properties=dict(spec.properties),
    )
    asset_id = asset_repo.insert_many(conn, [row])[urn]
    if tags:
        asset_repo.update_curated(conn, asset_id, {"tags": tags})
    for ref in spec.upstream:
        add_edge(conn, actor, _find(conn, ref), {"id": asset_id, "urn": urn, "type": spec.type})
    for ref in spec.downstream:
        add_edge(conn, actor, {"id": asset_id, "urn": urn, "type": spec.type}, _find(conn, ref))
    audit.record(
        conn, actor, "asset.create", "asset", urn, {"type": spec.type, "source": spec.source}
    )
    return asset_id


def _split(qualified: str) -> tuple[str, ...]:
    from sounding.domain.urn import split_qualified

    return split_qualified(qualified)


def add_edge(conn: Connection, actor: str, a: dict[str, Any], b: dict[str, Any]) -> None:
    """A manual table-level edge ``a`` -> ``b`` (what ``POST /lineage/edges`` stores)."""
    if "column" in (a["type"], b["type"]):
        raise InvalidInputError(
            f"Lineage of an asset created by hand joins tables, views, datasets or other "
            f"assets, not columns ({a['urn'] if a['type'] == 'column' else b['urn']})",
            field="upstream",
        )
    if a["id"] == b["id"]:
        raise InvalidInputError("An asset cannot feed itself", field="upstream")
    lineage_repo.replace_origin(
        conn,
        "manual",
        f"{a['urn']}->{b['urn']}",
        [{"source_id": a["id"], "target_id": b["id"], "level": "table"}],
        utcnow(),
        actor,
    )


def create_asset(ctx: Context, actor: Principal, spec: ManualAssetSpec) -> AssetDetail:
    """Create a dashboard, chart, pipeline, ML model or API endpoint (and its manual source
    on first use), with its lineage, in one transaction."""
    actor.require(Permission.CATALOG_WRITE)
    spec = check_spec(spec)
    with ctx.db.write() as conn:
        asset_id = insert(ctx, conn, actor.name, spec)
    return catalog.get_asset(ctx, actor, asset_id)


def update_asset(
    ctx: Context,
    actor: Principal,
    ref: str,
    changes: dict[str, Any],
    *,
    if_match: str | None = None,
) -> AssetDetail:
    """Curate any asset (``catalog.update_asset``); an asset created by hand also takes
    ``properties`` (replaced whole) and ``add_upstream``/``add_downstream`` (manual edges)."""
    changes = dict(changes)
    extra = {
        k: changes.pop(k) for k in ("properties", "add_upstream", "add_downstream") if k in changes
    }
    if extra:
        actor.require_somewhere(Permission.CATALOG_WRITE)
        with ctx.db.write() as conn:
            row = _find(conn, ref)
            _require_on(ctx, conn, actor, row)
            _require_manual(conn, row, "change its properties or lineage here")
            if "properties" in extra:
                props = extra["properties"] or {}
                if not isinstance(props, dict):
                    raise InvalidInputError("properties must be an object", field="properties")
                asset_repo.update_curated(conn, row["id"], {"source_properties": props})
            for other in extra.get("add_upstream") or []:
                add_edge(conn, actor.name, _find(conn, other), row)
            for other in extra.get("add_downstream") or []:
                add_edge(conn, actor.name, row, _find(conn, other))
            audit.record(
                conn, actor.name, "asset.update", "asset", row["urn"], {"fields": sorted(extra)}
            )
        if not changes:
            return catalog.get_asset(ctx, actor, ref)
    return catalog.update_asset(ctx, actor, ref, changes, if_match=if_match)


def _require_on(ctx: Context, conn: Connection, actor: Principal, row: dict[str, Any]) -> None:
    """403 unless ``actor`` holds ``catalog:write`` on the asset (globally or by a policy)."""
    if not actor.can(Permission.CATALOG_WRITE):
        actor.require(Permission.CATALOG_WRITE, catalog.scope_of(ctx, catalog.record(row), conn))


def _require_manual(conn: Connection, row: dict[str, Any], what: str) -> None:
    src = source_repo.get_by_id(conn, row["source_id"])
    assert src is not None
    if src["kind"] != MANUAL_KIND or row["type"] == "source":
        found = (
            "reported by OpenLineage or dbt into"
            if src["kind"] == EXTERNAL_KIND
            else "found by scanning"
        )
        raise ConflictError(
            f"{row['urn']} was {found} source '{src['name']}' (kind {src['kind']}): "
            f"a scan owns it, so you cannot {what}. Only assets created by hand can; to drop "
            "a scanned asset from the catalog, exclude it with the source's exclude pattern",
            urn=row["urn"],
            source=src["name"],
        )


def delete_asset(
    ctx: Context, actor: Principal, ref: str, *, if_match: str | None = None
) -> list[str]:
    """Delete an asset created by hand, with the assets under it and their lineage edges;
    returns the URNs deleted. 409 for an asset a scanner owns; 403 without ``catalog:write``
    on the asset (globally or by a policy on its scope)."""
    actor.require_somewhere(Permission.CATALOG_WRITE)
    from sounding.services import versions
    from sounding.store import tables

    with ctx.db.write() as conn:
        row = _find(conn, ref)
        _require_on(ctx, conn, actor, row)
        _require_manual(conn, row, "delete it")
        versions.check(conn, tables.assets, row["id"], if_match, f"Asset {row['urn']}")
        gone = _subtree(conn, row["id"])
        asset_repo.delete_many(conn, [i for i, _ in gone])
        for _, urn in gone:
            audit.record(conn, actor.name, "asset.delete", "asset", urn, {})
    return [urn for _, urn in gone]


def _subtree(conn: Connection, asset_id: int) -> list[tuple[int, str]]:
    row = asset_repo.get(conn, asset_id=asset_id)
    assert row is not None
    out = [(asset_id, str(row["urn"]))]
    frontier: Sequence[int] = [asset_id]
    while frontier:
        kids = [k for p in frontier for k in asset_repo.children(conn, p, True)]
        out += [(int(k["id"]), str(k["urn"])) for k in kids]
        frontier = [int(k["id"]) for k in kids]
    return out


@dataclass(frozen=True, slots=True)
class ManualAssetRow:
    id: int
    urn: str
    name: str
    type: str
    owner: str | None
    source: str


def list_manual(ctx: Context, actor: Principal, limit: int = 200) -> list[ManualAssetRow]:
    """Assets created by hand, by source and name (the web UI's catalog page)."""
    from sounding.store.repos import catalog_io as io_repo

    actor.require(Permission.CATALOG_READ)
    with ctx.db.read() as conn:
        return [ManualAssetRow(**r) for r in io_repo.manual_asset_list(conn, limit)]


def is_manual_asset(ctx: Context, asset_id: int) -> bool:
    """Whether the asset was created by hand (it lives in a manual source)."""
    with ctx.db.read() as conn:
        row = asset_repo.get(conn, asset_id=asset_id)
        if row is None or row["type"] == "source":
            return False
        return source_kind(conn, str(row["source"])) == MANUAL_KIND


# --- jobs other tools report (OpenLineage runs, dbt models) ------------------------------

EXTERNAL_KIND = "external"  # as services.sources: a source no connector opens
JOB_ORIGIN = "job"  # lineage edges through a job: input -> job -> output


def reported_job(
    ctx: Context,
    conn: Connection,
    source: str,
    job_name: str,
    properties: dict[str, Any],
    actor: str,
) -> dict[str, Any]:
    """The pipeline asset of a job another tool reports (an OpenLineage job, a dbt model),
    created on first sight in the source ``source`` of kind external (created too): its URN
    is ``urn:sounding:<source>:pipeline.<job>``. Scans never touch that source."""
    row = source_repo.get_by_name(conn, source)
    root_urn = make_urn(source, ())
    if row is None:
        url = f"jobs:{source}"
        source_id = source_repo.insert(
            conn,
            {
                "name": source,
                "kind": EXTERNAL_KIND,
                "url_encrypted": ctx.secrets.encrypt(url),
                "url_redacted": redact_url(url),
                "options": {},
                "description": "Jobs reported by OpenLineage or dbt",
            },
        )
        asset_repo.insert_many(conn, [_row(source_id, None, root_urn, "source", source, source)])
        audit.record(conn, actor, "source.create", "source", source, {"kind": EXTERNAL_KIND})
    else:
        source_id = int(row["id"])
    urn = urn_for(source, "pipeline", job_name)
    found = asset_repo.get(conn, urn=urn)
    if found is not None:
        return {"id": int(found["id"]), "urn": urn, "type": "pipeline"}
    root = asset_repo.get(conn, urn=root_urn)
    ids = asset_repo.insert_many(
        conn,
        [
            _row(
                source_id,
                root["id"] if root else None,
                urn,
                "pipeline",
                job_name,
                join_qualified((job_name,)),
                source_properties=dict(properties),
            )
        ],
    )
    return {"id": ids[urn], "urn": urn, "type": "pipeline"}


def job_edges(job_id: int, inputs: Sequence[int], outputs: Sequence[int]) -> list[dict[str, Any]]:
    """Table-level edges from each input to the job and from the job to each output."""
    edges = [{"source_id": i, "target_id": job_id, "level": "table"} for i in dict.fromkeys(inputs)]
    edges += [
        {"source_id": job_id, "target_id": o, "level": "table"} for o in dict.fromkeys(outputs)
    ]
    return [{**e, "confidence": 1.0} for e in edges]
