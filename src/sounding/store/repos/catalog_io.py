"""Reads for the catalog export: curated metadata, manual edges, classification decisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.tables import asset_tags, assets, sources
from sounding.store.tables_lineage import lineage_edges as edges
from sounding.store.tables_scanning import classifications

_PAGE = 2000
EXPORT_COLUMNS = (
    "id",
    "urn",
    "type",
    "name",
    "qualified_name",
    "parent_id",
    "description",
    "owner",
    "steward",
    "domain",
    "tags",
    "criticality",
    "lifecycle",
    "custom_properties",
    "source_properties",
)


def live_assets(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every live asset with its curated fields, its source's name and kind, by id."""
    after = 0
    while True:
        query = (
            sa.select(
                *(assets.c[c] for c in EXPORT_COLUMNS),
                sources.c.name.label("source"),
                sources.c.kind.label("source_kind"),
            )
            .join(sources, sources.c.id == assets.c.source_id)
            .where(assets.c.deleted_at.is_(None), assets.c.id > after)
            .order_by(assets.c.id)
            .limit(_PAGE)
        )
        rows = [dict(r) for r in conn.execute(query).mappings()]
        if not rows:
            return
        yield from rows
        after = rows[-1]["id"]


def urns_of(conn: Connection, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        query = sa.select(assets.c.id, assets.c.urn).where(assets.c.id.in_(ids[i : i + 500]))
        out.update({int(r.id): str(r.urn) for r in conn.execute(query)})
    return out


def manual_edges(conn: Connection) -> list[dict[str, Any]]:
    """Edges people drew (origin ``manual``) between live assets, with both ends' URNs."""
    a, b = assets.alias("a"), assets.alias("b")
    query = (
        sa.select(
            a.c.urn.label("from_urn"),
            b.c.urn.label("to_urn"),
            edges.c.level,
            edges.c.statement,
        )
        .join(a, a.c.id == edges.c.source_id)
        .join(b, b.c.id == edges.c.target_id)
        .where(edges.c.origin == "manual", a.c.deleted_at.is_(None), b.c.deleted_at.is_(None))
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def decisions(conn: Connection) -> list[dict[str, Any]]:
    """Labels a person confirmed or rejected on live columns, with the column's URN."""
    query = (
        sa.select(
            assets.c.urn,
            classifications.c.label,
            classifications.c.status,
            classifications.c.note,
        )
        .join(assets, assets.c.id == classifications.c.asset_id)
        .where(
            classifications.c.status.in_(("confirmed", "rejected")),
            assets.c.deleted_at.is_(None),
        )
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def tagged_ids(conn: Connection) -> set[int]:
    return {int(r[0]) for r in conn.execute(sa.select(asset_tags.c.asset_id).distinct())}


def manual_asset_list(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """Live assets of manual sources (not their roots), by source and qualified name."""
    query = (
        sa.select(
            assets.c.id,
            assets.c.urn,
            assets.c.name,
            assets.c.type,
            assets.c.owner,
            sources.c.name.label("source"),
        )
        .join(sources, sources.c.id == assets.c.source_id)
        .where(
            sources.c.kind == "manual",
            assets.c.type != "source",
            assets.c.deleted_at.is_(None),
        )
        .order_by(sources.c.name, assets.c.qualified_name)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
