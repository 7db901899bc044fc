"""Use cases for lineage: parse, ingest SQL and view definitions, walk the graph, impact.

Parsed names are tied to catalog assets of the same source by their dotted path, matched
from the right (``orders`` or ``public.orders`` finds ``db.public.orders``) and
case-insensitively; a name that matches no asset, or several, is reported as unresolved.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sounding.domain.assets import AssetType
from sounding.domain.auth import Permission, Principal
from sounding.domain.dialects import dialect_for
from sounding.domain.lineage import (
    CriticalPath,
    Impact,
    LineageEdge,
    LineageGraph,
    LineageNode,
    LineageResult,
    ManualEdge,
)
from sounding.domain.urn import quote_part, split_qualified
from sounding.errors import InvalidInputError, NotFoundError
from sounding.lineage.dbt import read_manifest
from sounding.lineage.dialects import dialect_spec
from sounding.lineage.graph import table_edges, walk
from sounding.lineage.parse import make_catalog, parse_lineage
from sounding.services import catalog, manual_assets
from sounding.services.context import Context
from sounding.services.gcpause import paused_gc
from sounding.services.sources import get_row
from sounding.services.sql_workers import SqlWorkers
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import lineage as repo
from sounding.store.repos import view_lineage as view_repo
from sounding.store.tables import assets

logger = logging.getLogger(__name__)

OBJECTS = (AssetType.TABLE.value, AssetType.VIEW.value, AssetType.DATASET.value)
MAX_DEPTH = 20


def dialect_of(source_row: Mapping[str, Any]) -> str:
    """The lineage dialect of a source: its registered backend's sqlglot dialect, else ansi."""
    backend = dialect_for(str(source_row["url_redacted"]))
    return backend.sqlglot if backend is not None else "ansi"


def parse_sql(
    sql: str,
    dialect: str = "ansi",
    schema: Mapping[str, Any] | None = None,
    workers: SqlWorkers | None = None,
) -> LineageResult:
    """Parse without storing anything (``sounding lineage parse``, ``POST /lineage/parse``).
    With the server's ``workers`` the text is held to its size limit and parsed in a worker
    process under its deadline (the CLI parses in its own process, unlimited)."""
    if workers is not None:
        workers.limits.check_size(sql)
    if not sql.strip():
        raise InvalidInputError("No SQL given", field="sql")
    dialect_spec(dialect)  # an unknown dialect is an InvalidInputError naming the known ones
    if workers is None:
        return parse_lineage(sql, dialect, schema)
    return workers.parse(sql, dialect, schema)


@dataclass
class SourceIndex:
    """The objects of one source, findable by any right-hand part of their dotted path."""

    by_suffix: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    columns: dict[int, dict[str, int]] = field(default_factory=dict)
    names: dict[int, list[str]] = field(default_factory=dict)

    def find(self, name: str) -> dict[str, Any] | None:
        hits = self.by_suffix.get(name.lower(), [])
        return hits[0] if len(hits) == 1 else None


def _split(qualified: str) -> list[str]:
    return list(split_qualified(qualified))


def load_source_index(ctx: Context, source_id: int) -> SourceIndex:
    query = sa.select(
        assets.c.id,
        assets.c.parent_id,
        assets.c.type,
        assets.c.name,
        assets.c.qualified_name,
        assets.c.urn,
        assets.c.view_sql,
    ).where(assets.c.source_id == source_id, assets.c.deleted_at.is_(None))
    with paused_gc():  # one dict per asset: tens of thousands on a large source
        with ctx.db.read() as conn:
            result = conn.execute(query)
            keys = tuple(result.keys())
            rows = [dict(zip(keys, r, strict=True)) for r in result.all()]
        return _index(rows)


def _index(rows: list[dict[str, Any]]) -> SourceIndex:
    index = SourceIndex()
    for row in rows:
        if row["type"] in OBJECTS:
            parts = [p.lower() for p in _split(row["qualified_name"])]
            for i in range(len(parts)):
                index.by_suffix[".".join(parts[i:])].append(row)
        elif row["type"] == AssetType.COLUMN.value and row["parent_id"] is not None:
            index.columns.setdefault(row["parent_id"], {})[row["name"].lower()] = row["id"]
            index.names.setdefault(row["parent_id"], []).append(row["name"])
    return index


def schema_for_parser(index: SourceIndex) -> dict[str, list[str]]:
    schema: dict[str, list[str]] = {}
    for key, rows in index.by_suffix.items():
        if len(rows) == 1 and key.count(".") <= 1:
            schema.setdefault(key, index.names.get(rows[0]["id"], []))
    return schema


@dataclass
class Resolved:
    edges: list[dict[str, Any]] = field(default_factory=list)
    unresolved: set[str] = field(default_factory=set)


def resolve(index: SourceIndex, result: LineageResult, statement: str | None) -> Resolved:
    out = Resolved()
    for src, dst in table_edges(result):
        a, b = index.find(src), index.find(dst)
        for name, hit in ((src, a), (dst, b)):
            if hit is None:
                out.unresolved.add(name)
        if a and b:
            out.edges.append(
                {
                    "source_id": a["id"],
                    "target_id": b["id"],
                    "level": "table",
                    "confidence": 1.0,
                    "statement": statement,
                }
            )
    for e in result.column_lineage:
        if e.source_table is None or "*" in (e.source_column, e.target_column):
            continue
        a, b = index.find(e.source_table), index.find(e.target_table)
        if not (a and b):
            continue
        sc = index.columns.get(a["id"], {}).get(e.source_column.lower())
        tc = index.columns.get(b["id"], {}).get(e.target_column.lower())
        if sc and tc:
            out.edges.append(
                {
                    "source_id": sc,
                    "target_id": tc,
                    "level": "column",
                    "kind": e.kind.value,
                    "confidence": e.confidence,
                }
            )
    return out


def _sql_name(row: Mapping[str, Any]) -> str:
    """The asset's dotted name with SQL quoting where a part needs it."""
    parts = _split(row["qualified_name"])
    return ".".join(p if p.isidentifier() else '"' + p.replace('"', '""') + '"' for p in parts)


def _view_sql(row: Mapping[str, Any]) -> str:
    sql = str(row["view_sql"]).strip().rstrip(";")
    if sql.upper().startswith("CREATE"):
        return sql
    return f"CREATE VIEW {_sql_name(row)} AS {sql}"


def catalog_fingerprint(index: SourceIndex, dialect: str) -> str:
    """A hash of everything a view's lineage depends on besides its SQL: the dialect and
    the source's objects and columns (names and ids)."""
    objects = sorted(
        {
            (r["id"], r["type"], r["qualified_name"])
            for rows in index.by_suffix.values()
            for r in rows
        }
    )
    columns = sorted((parent, sorted(cols.items())) for parent, cols in index.columns.items())
    text = json.dumps([dialect, objects, columns], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _view_fingerprint(sql: str, catalog_hash: str) -> str:
    return hashlib.sha256(f"{catalog_hash}\0{sql}".encode()).hexdigest()


def refresh_view_lineage(ctx: Context, source: str) -> dict[str, Any]:
    """Re-derive lineage of every view of a source from its definition (after each scan).

    A view whose definition, and the source's catalog, are what its lineage was last derived
    from is not parsed again (a re-scan with nothing changed parses nothing): its edges are
    marked seen and its earlier parse problems reported again."""
    src = get_row(ctx, source)
    index = load_source_index(ctx, src["id"])
    dialect = dialect_of(src)
    views = {
        r["urn"]: r
        for rows in index.by_suffix.values()
        for r in rows
        if r["type"] == AssetType.VIEW.value and r["view_sql"]
    }
    catalog_hash = catalog_fingerprint(index, dialect) if views else ""
    prefix = f"urn:sounding:{quote_part(source)}:"
    now, added, removed, problems, skipped = utcnow(), 0, 0, [], []
    known = None
    with ctx.db.write() as conn:
        stored = view_repo.states(conn, prefix)
        for urn, row in sorted(views.items()):
            sql = _view_sql(row)
            fingerprint = _view_fingerprint(sql, catalog_hash)
            before = stored.get(urn)
            if before is not None and before["fingerprint"] == fingerprint:
                skipped.append(urn)
                problems += before["problems"]
                continue
            if known is None:
                known = make_catalog(schema_for_parser(index))
            result = parse_lineage(sql, dialect, catalog=known)
            found = [f"{row['qualified_name']}: {p.message}" for p in result.errors]
            problems += found
            resolved = resolve(index, result, None)
            a, _, r = repo.replace_origin(conn, "view", urn, resolved.edges, now)
            added, removed = added + a, removed + r
            view_repo.put(conn, urn, fingerprint, found, now)
        view_repo.touch_edges(conn, skipped, now)
        for key in repo.origin_keys(conn, "view", prefix):
            if key not in views:  # the view is gone: so are the edges it defined
                removed += repo.delete_origin(conn, "view", key)
        view_repo.forget(conn, [urn for urn in stored if urn not in views])
    return {
        "views": len(views),
        "views_parsed": len(views) - len(skipped),
        "edges_added": added,
        "edges_removed": removed,
        "problems": problems,
    }


def ingest_sql(
    ctx: Context,
    actor: Principal,
    source: str,
    sql: str,
    dialect: str | None = None,
    workers: SqlWorkers | None = None,
) -> dict[str, Any]:
    """Store the lineage of SQL run against a source (a job, a script, a query-log entry);
    ``workers`` as for :func:`parse_sql`."""
    actor.require(Permission.CATALOG_WRITE)
    if workers is not None:
        workers.limits.check_size(sql)  # before loading the catalog
    src = get_row(ctx, source)
    index = load_source_index(ctx, src["id"])
    result = parse_sql(sql, dialect or dialect_of(src), schema_for_parser(index), workers)
    resolved = resolve(index, result, sql[:20000])
    key = "sha1:" + hashlib.sha1(sql.encode("utf-8"), usedforsecurity=False).hexdigest()
    with ctx.db.write() as conn:
        added, kept, _ = repo.replace_origin(conn, "sql", key, resolved.edges, utcnow(), actor.name)
        audit.record(
            conn,
            actor.name,
            "lineage.ingest",
            "source",
            source,
            {"edges": len(resolved.edges), "origin_key": key},
        )
    return {
        **result.to_dict(),
        "edges_added": added,
        "edges_kept": kept,
        "unresolved": sorted(resolved.unresolved),
        "origin_key": key,
    }


def _node(row: Mapping[str, Any], distance: int) -> LineageNode:
    asset = catalog.record(row)
    return LineageNode(
        id=asset.id,
        urn=asset.urn,
        name=asset.name,
        qualified_name=asset.qualified_name,
        type=asset.type,
        source=asset.source,
        parent_id=asset.parent_id,
        owner=asset.owner,
        criticality=asset.criticality,
        domain=asset.domain,
        tags=asset.tags,
        description=asset.description,
        distance=distance,
    )


def _start_row(conn: sa.Connection, ref: str) -> dict[str, Any]:
    """The asset a lineage read starts from, by id or URN (as ``catalog.get_asset`` finds
    it)."""
    if ref.isascii() and ref.isdigit():
        row = asset_repo.get(conn, asset_id=int(ref))
    else:
        row = asset_repo.get(conn, urn=ref)
    if row is None:
        raise NotFoundError(f"Asset {ref!r} not found (give an id or a URN)", asset=str(ref))
    return row


def _load_nodes(ctx: Context, ids: list[int]) -> dict[int, dict[str, Any]]:
    with ctx.db.read() as conn:
        return {r["id"]: r for r in asset_repo.get_many(conn, ids)}


def lineage_graph(
    ctx: Context,
    actor: Principal,
    ref: str,
    direction: str = "both",
    depth: int = 3,
    level: str = "table",
    max_nodes: int = 2000,
) -> LineageGraph:
    """Nodes and edges around an asset; views are walked through to the tables they read."""
    actor.require(Permission.CATALOG_READ)
    if direction not in ("upstream", "downstream", "both"):
        raise InvalidInputError("direction must be upstream, downstream or both")
    if level not in ("table", "column"):
        raise InvalidInputError("level must be table or column")
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidInputError(f"depth must be between 1 and {MAX_DEPTH}")
    edges: dict[int, dict[str, Any]] = {}
    truncated = False
    # one connection for the whole read, and only the start's row (and its columns' ids):
    # the full asset page (events, terms, every column's row) cost more than the walk
    with ctx.db.read() as conn:
        start = _start_row(conn, ref)
        ids = [start["id"]]
        if level == "column" and start["type"] in OBJECTS:
            ids = asset_repo.child_ids(conn, start["id"])
        distance: dict[int, int] = dict.fromkeys(ids, 0)
        for way in ("upstream", "downstream") if direction == "both" else (direction,):

            def fetch(frontier: list[int], way: str = way) -> list[dict[str, Any]]:
                return repo.neighbours(conn, frontier, way, level)

            result = walk(ids, fetch, way, depth, max_nodes)
            sign = -1 if way == "upstream" else 1
            for node, d in result.distance.items():
                distance.setdefault(node, sign * d)
            edges.update({e["id"]: e for e in result.edges})
            truncated |= result.truncated
        rows = {r["id"]: r for r in asset_repo.get_many(conn, list(distance))}
    return LineageGraph(
        root=start["id"],
        nodes=tuple(_node(rows[i], distance[i]) for i in distance if i in rows),
        edges=tuple(
            LineageEdge(
                id=e["id"],
                source=e["source_id"],
                target=e["target_id"],
                kind=e["kind"],
                confidence=e["confidence"],
                origin=e["origin"],
            )
            for e in edges.values()
        ),
        truncated=truncated,
    )


CRITICALITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def impact(ctx: Context, actor: Principal, ref: str, depth: int = 10) -> Impact:
    """Every downstream asset by distance, counts per depth, and paths to the most critical."""
    actor.require(Permission.CATALOG_READ)
    start = catalog.get_asset(ctx, actor, ref)
    with ctx.db.read() as conn:
        result = walk(
            [start.id],
            lambda f: repo.neighbours(conn, f, "downstream", "table"),
            "downstream",
            min(depth, MAX_DEPTH),
            20000,
        )
    rows = _load_nodes(ctx, list(result.distance))
    downstream = sorted(
        (_node(rows[i], d) for i, d in result.distance.items() if d > 0 and i in rows),
        key=lambda n: (n.distance, n.qualified_name),
    )
    per_depth: dict[int, int] = defaultdict(int)
    for n in downstream:
        per_depth[n.distance] += 1
    ranked = sorted(
        downstream, key=lambda n: (-CRITICALITY_RANK.get(n.criticality or "", 0), n.distance)
    )
    critical = [n for n in ranked if n.criticality][:10]
    paths = tuple(
        CriticalPath(n.id, tuple(rows[i]["urn"] for i in result.path_to(n.id))) for n in critical
    )
    return Impact(
        root=_node(rows[start.id], 0),
        total=len(downstream),
        counts_by_distance=dict(sorted(per_depth.items())),
        items=tuple(downstream),
        critical_paths=paths,
        truncated=result.truncated,
    )


def add_manual_edge(
    ctx: Context, actor: Principal, source_ref: str, target_ref: str, description: str | None
) -> ManualEdge:
    actor.require(Permission.CATALOG_WRITE)
    a, b = catalog.get_asset(ctx, actor, source_ref), catalog.get_asset(ctx, actor, target_ref)
    level = "column" if a.type == "column" else "table"
    if (b.type == "column") != (level == "column"):
        raise InvalidInputError("A manual edge joins two columns or two non-column assets")
    key = f"{a.urn}->{b.urn}"
    with ctx.db.write() as conn:
        repo.replace_origin(
            conn,
            "manual",
            key,
            [
                {
                    "source_id": a.id,
                    "target_id": b.id,
                    "level": level,
                    "statement": description,
                }
            ],
            utcnow(),
            actor.name,
        )
        audit.record(conn, actor.name, "lineage.edge.create", "asset", b.urn, {"from": a.urn})
    return ManualEdge(source=a.id, target=b.id, level=level, origin="manual")


def delete_edge(ctx: Context, actor: Principal, edge_id: int) -> None:
    actor.require(Permission.CATALOG_WRITE)
    with ctx.db.write() as conn:
        edge = repo.edge(conn, edge_id)
        if edge is None:
            raise NotFoundError(f"Lineage edge {edge_id} not found", edge_id=edge_id)
        repo.delete_edge(conn, edge_id)
        if edge["origin"] == "view":  # the next scan derives the view's lineage afresh
            view_repo.forget(conn, [edge["origin_key"]])
        audit.record(
            conn,
            actor.name,
            "lineage.edge.delete",
            "lineage_edge",
            str(edge_id),
            {"origin": edge["origin"], "origin_key": edge["origin_key"]},
        )


def ingest_dbt(ctx: Context, actor: Principal, manifest_path: str, source: str) -> dict[str, Any]:
    """Lineage of every dbt model: its dependencies, and column edges from its compiled SQL."""
    actor.require(Permission.CATALOG_WRITE)
    manifest = read_manifest(Path(manifest_path))
    src = get_row(ctx, source)
    index = load_source_index(ctx, src["id"])
    schema = schema_for_parser(index)
    now, edges_total, unresolved, problems = utcnow(), 0, set(), []
    with ctx.db.write() as conn:
        for model in manifest.models:
            target = index.find(model.relation) or index.find(model.relation.split(".")[-1])
            if target is None:
                unresolved.add(model.relation)
                continue
            edges = []
            for dep in model.depends_on:
                hit = index.find(dep) or index.find(dep.split(".")[-1])
                if hit is None:
                    unresolved.add(dep)
                elif hit["id"] != target["id"]:
                    edges.append(
                        {
                            "source_id": hit["id"],
                            "target_id": target["id"],
                            "level": "table",
                            "confidence": 1.0,
                        }
                    )
            if model.compiled_sql:
                sql = f"CREATE VIEW {_sql_name(target)} AS {model.compiled_sql}"
                result = parse_lineage(sql, manifest.dialect, schema)
                problems += [f"{model.unique_id}: {p.message}" for p in result.errors]
                edges += [e for e in resolve(index, result, None).edges if e["level"] == "column"]
            repo.replace_origin(conn, "dbt", model.unique_id, edges, now, actor.name)
            # the model as a job between what it reads and the relation it builds
            job = manual_assets.reported_job(
                ctx,
                conn,
                f"dbt_{source}"[:100],
                model.unique_id,
                {"dbt_model": model.unique_id},
                actor.name,
            )
            inputs = [e["source_id"] for e in edges if e["level"] == "table"]
            repo.replace_origin(
                conn,
                manual_assets.JOB_ORIGIN,
                f"dbt:{model.unique_id}",
                manual_assets.job_edges(job["id"], inputs, [target["id"]]),
                now,
                actor.name,
            )
            edges_total += len(edges)
        audit.record(
            conn,
            actor.name,
            "lineage.dbt",
            "source",
            source,
            {"models": len(manifest.models), "edges": edges_total},
        )
    return {
        "models": len(manifest.models),
        "edges": edges_total,
        "unresolved": sorted(unresolved),
        "problems": problems,
    }
