"""OpenLineage run events into the catalog.

A dataset is matched to a registered source when its namespace is the source's name, or
names the same server (``postgres://host:5432``, ``mysql://host:3306``), or the same file
(SQLite, DuckDB) or directory (files); its name is then resolved among that source's
assets like SQL names are. Datasets that match nothing become **external** assets under a
source ``ol_<namespace>`` that cannot be scanned. Each job owns its edges: the newest
event of a job that carries datasets replaces them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa

from sounding.domain.auth import Permission, Principal
from sounding.domain.dialects import dialect_for, scheme_of
from sounding.domain.urn import join_qualified, make_urn
from sounding.lineage.openlineage import Dataset, RunEvent, parse_event
from sounding.services import manual_assets
from sounding.services.context import Context
from sounding.services.lineage import SourceIndex, load_source_index
from sounding.services.secrets import redact_url
from sounding.services.sources import EXTERNAL_KIND
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import audit, utcnow
from sounding.store.repos import lineage as repo
from sounding.store.repos import sources as source_repo

logger = logging.getLogger(__name__)

EXTERNAL = EXTERNAL_KIND


def _server_key(url: str) -> tuple[str, str, str] | None:
    """(kind, host-or-path, port) naming a server or file, from a URL or a namespace."""
    try:
        u = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # not a URL, or a port that is not a number
        m = re.match(r"^([a-z0-9+]+)://([^/:]*)(?::(\d+))?(/.*)?$", url)
        if not m:
            return None
        scheme, host, port, path = m.groups()
        base = scheme_of(scheme)
        backend = dialect_for(base)
        if backend is not None and backend.local_file:
            return (base, path or host, "")
        return _server(base, host, port)
    base = u.get_backend_name()
    backend = dialect_for(base)
    if backend is not None and backend.local_file:
        return (base, str(PurePosixPath(u.database or "")), "")
    return _server(base, u.host or "", u.port)


def _server(scheme: str, host: str, port: object) -> tuple[str, str, str]:
    """A server's key: OpenLineage's name of its kind (``postgres``), host, port or the
    backend's default port."""
    backend = dialect_for(scheme)
    if backend is None:
        return (scheme, host, str(port or ""))
    kind = backend.openlineage or backend.name
    return (kind, host, str(port or backend.default_port or ""))


class _Matcher:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        with ctx.db.read() as conn:
            rows, _ = source_repo.list_all(conn, 100000, 0)
        self.sources = [r for r in rows if r["kind"] != EXTERNAL]
        self.indexes: dict[int, SourceIndex] = {}

    def _index(self, source_id: int) -> SourceIndex:
        if source_id not in self.indexes:
            self.indexes[source_id] = load_source_index(self.ctx, source_id)
        return self.indexes[source_id]

    def find(self, ds: Dataset) -> dict[str, Any] | None:
        for src in self.sources:
            name = self._name_in(src, ds)
            if name is not None:
                hit = self._index(src["id"]).find(name.lower())
                if hit is not None:
                    return hit
        return None

    def _name_in(self, src: Mapping[str, Any], ds: Dataset) -> str | None:
        if ds.namespace == src["name"]:
            return ds.name
        url = self.ctx.secrets.decrypt(src["url_encrypted"])
        if url.startswith("file:"):
            root = url.split("://", 1)[-1]
            path = ds.name if ds.name.startswith("/") else ds.namespace.split("://", 1)[-1]
            if path.startswith(root.rstrip("/") + "/"):
                return path[len(root.rstrip("/")) + 1 :]
            return None
        mine, theirs = _server_key(url), _server_key(ds.namespace)
        if mine and theirs and mine == theirs:
            return ds.name
        return None


def _source_name(namespace: str) -> str:
    return "ol_" + (re.sub(r"[^A-Za-z0-9_-]+", "_", namespace).strip("_-") or "default")[:90]


def _external_source(ctx: Context, conn: Any, namespace: str) -> int:
    name = _source_name(namespace)
    row = source_repo.get_by_name(conn, name)
    if row is not None:
        return int(row["id"])
    source_id = source_repo.insert(
        conn,
        {
            "name": name,
            "kind": EXTERNAL,
            "url_encrypted": ctx.secrets.encrypt(namespace),
            "url_redacted": redact_url(namespace),
            "options": {},
            "description": f"Datasets reported by OpenLineage in namespace {namespace}",
        },
    )
    now = utcnow()
    asset_repo.insert_many(
        conn, [_asset_row(source_id, None, make_urn(name, ()), "source", name, name, now)]
    )
    return source_id


def _asset_row(
    source_id: int,
    parent_id: int | None,
    urn: str,
    type_: str,
    name: str,
    qualified: str,
    now: Any,
    data_type: str | None = None,
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "parent_id": parent_id,
        "urn": urn,
        "type": type_,
        "name": name,
        "qualified_name": qualified,
        "data_type": data_type,
        "tags": [],
        "custom_properties": {},
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
    }


def dataset_path(ds: Dataset) -> tuple[str, ...]:
    """A path like a discovered one: ``db.schema.table`` split at dots, file paths whole."""
    if "/" in ds.name or ds.namespace.startswith(("file", "s3", "gs", "abfs", "hdfs")):
        return (ds.name,)
    return tuple(p for p in ds.name.split(".") if p) or (ds.name,)


def _external_dataset(ctx: Context, conn: Any, ds: Dataset, fields: set[str]) -> dict[str, Any]:
    source_id = _external_source(ctx, conn, ds.namespace)
    src = source_repo.get_by_id(conn, source_id)
    assert src is not None
    path = dataset_path(ds)
    qualified = join_qualified(path)
    urn = make_urn(src["name"], path)
    row = asset_repo.get(conn, urn=urn)
    now = utcnow()
    if row is None:
        root = asset_repo.get(conn, urn=make_urn(src["name"], ()))
        ids = asset_repo.insert_many(
            conn,
            [
                _asset_row(
                    source_id,
                    root["id"] if root else None,
                    urn,
                    "dataset",
                    path[-1],
                    qualified,
                    now,
                )
            ],
        )
        row = {"id": ids[urn], "urn": urn}
    known = {c["name"] for c in asset_repo.children(conn, row["id"], include_deleted=True)}
    types = dict(ds.fields)
    new = [f for f in [n for n, _ in ds.fields] + sorted(fields) if f not in known]
    asset_repo.insert_many(
        conn,
        [
            _asset_row(
                source_id,
                row["id"],
                make_urn(src["name"], path, f),
                "column",
                f,
                join_qualified((*path, f)),
                now,
                types.get(f),
            )
            for f in dict.fromkeys(new)
        ],
    )
    return {"id": row["id"], "urn": urn, "external": True}


def ingest_event(ctx: Context, actor: Principal, payload: Any) -> dict[str, Any]:
    """Store the lineage an OpenLineage run event carries (POST /api/v1/lineage)."""
    actor.require(Permission.CATALOG_WRITE)
    event = parse_event(payload)
    if not event.carries_lineage:
        return {"status": "ignored", "event_type": event.event_type, "edges": 0}
    matcher = _Matcher(ctx)
    wanted_fields: dict[tuple[str, str], set[str]] = {}
    for fe in event.field_edges:
        wanted_fields.setdefault(fe.source[:2], set()).add(fe.source[2])
        wanted_fields.setdefault(fe.target[:2], set()).add(fe.target[2])
    now, created = utcnow(), []
    with ctx.db.write() as conn:
        assets_by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for ds in [*event.inputs, *event.outputs]:
            key = (ds.namespace, ds.name)
            if key in assets_by_key:
                continue
            hit = matcher.find(ds)
            if hit is None:
                hit = _external_dataset(ctx, conn, ds, wanted_fields.get(key, set()))
                created.append(hit["urn"])
            assets_by_key[key] = hit
        edges = _edges(conn, event, assets_by_key)
        added, _kept, removed = repo.replace_origin(
            conn, "openlineage", event.job_key, edges, now, actor.name
        )
        # the job itself, between its inputs and outputs
        job = manual_assets.reported_job(
            ctx,
            conn,
            _source_name(event.job_namespace),
            event.job_name,
            {"openlineage_job": event.job_key},
            actor.name,
        )
        through = manual_assets.job_edges(
            job["id"],
            [assets_by_key[(d.namespace, d.name)]["id"] for d in event.inputs],
            [assets_by_key[(d.namespace, d.name)]["id"] for d in event.outputs],
        )
        repo.replace_origin(conn, manual_assets.JOB_ORIGIN, event.job_key, through, now, actor.name)
        audit.record(
            conn,
            actor.name,
            "lineage.openlineage",
            "job",
            event.job_key,
            {"run_id": event.run_id, "edges": len(edges)},
        )
    return {
        "status": "ok",
        "event_type": event.event_type,
        "job": event.job_key,
        "job_urn": job["urn"],
        "edges": len(edges),
        "edges_added": added,
        "edges_removed": removed,
        "external_created": created,
    }


def _edges(conn: Any, event: RunEvent, by_key: Mapping[tuple[str, str], Any]) -> list[Any]:
    edges = [
        {
            "source_id": by_key[(i.namespace, i.name)]["id"],
            "target_id": by_key[(o.namespace, o.name)]["id"],
            "level": "table",
            "confidence": 1.0,
        }
        for i in event.inputs
        for o in event.outputs
        if by_key[(i.namespace, i.name)]["id"] != by_key[(o.namespace, o.name)]["id"]
    ]
    columns: dict[int, dict[str, int]] = {}
    for fe in event.field_edges:
        ids = []
        for ns, name, fld in (fe.source, fe.target):
            asset = by_key.get((ns, name))
            if asset is None:
                break
            if asset["id"] not in columns:
                columns[asset["id"]] = {
                    c["name"].lower(): c["id"] for c in asset_repo.children(conn, asset["id"])
                }
            col = columns[asset["id"]].get(fld.lower())
            if col is None:
                break
            ids.append(col)
        if len(ids) == 2:
            edges.append(
                {
                    "source_id": ids[0],
                    "target_id": ids[1],
                    "level": "column",
                    "kind": fe.kind.value,
                    "confidence": 1.0,
                }
            )
    return edges
