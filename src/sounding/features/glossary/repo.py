"""Glossary terms, their relations, and their links to assets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.glossary.tables import (
    glossary_links,
    glossary_term_relations,
    glossary_terms,
)
from sounding.store.tables import assets, sources

_CHUNK = 500
RELATED = "related"


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# --- terms ----------------------------------------------------------------------------------


def all_terms(conn: Connection) -> list[dict[str, Any]]:
    query = sa.select(glossary_terms).order_by(glossary_terms.c.path_key)
    return [dict(r) for r in conn.execute(query).mappings()]


def get_term(conn: Connection, term_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(glossary_terms).where(glossary_terms.c.id == term_id)).first()
    return dict(row._mapping) if row else None


def term_by_key(conn: Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(glossary_terms).where(glossary_terms.c.path_key == key)).first()
    return dict(row._mapping) if row else None


def terms_by_ids(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        query = sa.select(glossary_terms).where(glossary_terms.c.id.in_(chunk))
        out.update({r["id"]: dict(r) for r in conn.execute(query).mappings()})
    return out


def list_terms(
    conn: Connection,
    *,
    q: str | None,
    status: str | None,
    parent_id: int | None,
    under: str | None,
    owner: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    query = sa.select(glossary_terms)
    if q:
        like = f"%{q.casefold()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(glossary_terms.c.name).like(like),
                sa.func.lower(sa.cast(glossary_terms.c.synonyms, sa.Text)).like(like),
                sa.func.lower(sa.cast(glossary_terms.c.abbreviations, sa.Text)).like(like),
            )
        )
    if status:
        query = query.where(glossary_terms.c.status == status)
    if parent_id is not None:
        query = query.where(glossary_terms.c.parent_id == parent_id)
    if under:
        query = query.where(glossary_terms.c.path_key.like(under.rstrip("/") + "/%"))
    if owner:
        query = query.where(glossary_terms.c.owner == owner)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(glossary_terms.c.path_key).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


def insert_term(conn: Connection, values: dict[str, Any]) -> int:
    result = conn.execute(sa.insert(glossary_terms).values(**values).returning(glossary_terms.c.id))
    return int(result.scalar_one())


def update_term(conn: Connection, term_id: int, values: dict[str, Any]) -> None:
    if values:
        conn.execute(
            sa.update(glossary_terms).where(glossary_terms.c.id == term_id).values(**values)
        )


def children(conn: Connection, parent_id: int | None) -> list[dict[str, Any]]:
    cond = (
        glossary_terms.c.parent_id.is_(None)
        if parent_id is None
        else glossary_terms.c.parent_id == parent_id
    )
    return [dict(r) for r in conn.execute(sa.select(glossary_terms).where(cond)).mappings()]


def parents(conn: Connection) -> dict[int, int | None]:
    query = sa.select(glossary_terms.c.id, glossary_terms.c.parent_id)
    return {r.id: r.parent_id for r in conn.execute(query)}


def delete_term(conn: Connection, term_id: int) -> None:
    conn.execute(sa.delete(glossary_terms).where(glossary_terms.c.id == term_id))


# --- relations ------------------------------------------------------------------------------


def related_ids(conn: Connection, term_ids: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for chunk in _chunks(list(term_ids)):
        query = sa.select(glossary_term_relations).where(
            glossary_term_relations.c.term_id.in_(chunk),
            glossary_term_relations.c.kind == RELATED,
        )
        for r in conn.execute(query):
            out.setdefault(r.term_id, []).append(r.related_id)
    return out


def set_related(conn: Connection, term_id: int, related: Sequence[int]) -> None:
    """Replace a term's related terms; each relation is kept in both directions."""
    t = glossary_term_relations
    conn.execute(
        sa.delete(t).where(
            t.c.kind == RELATED, sa.or_(t.c.term_id == term_id, t.c.related_id == term_id)
        )
    )
    rows = [
        {"term_id": a, "related_id": b, "kind": RELATED}
        for other in dict.fromkeys(related)
        if other != term_id
        for a, b in ((term_id, other), (other, term_id))
    ]
    if rows:
        conn.execute(sa.insert(t), rows)


# --- links ----------------------------------------------------------------------------------


def _link_select() -> sa.Select[Any]:
    return (
        sa.select(
            glossary_links,
            glossary_terms.c.path.label("term_path"),
            glossary_terms.c.name.label("term_name"),
            assets.c.urn,
            assets.c.type.label("asset_type"),
            assets.c.qualified_name,
            sources.c.name.label("source"),
        )
        .join(glossary_terms, glossary_terms.c.id == glossary_links.c.term_id)
        .join(assets, assets.c.id == glossary_links.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
    )


def list_links(
    conn: Connection,
    *,
    term_id: int | None = None,
    asset_id: int | None = None,
    status: str | None = None,
    source_id: int | None = None,
    min_confidence: float | None = None,
    link_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    query = _link_select().where(assets.c.deleted_at.is_(None))
    if link_id is not None:
        query = query.where(glossary_links.c.id == link_id)
    if term_id is not None:
        query = query.where(glossary_links.c.term_id == term_id)
    if asset_id is not None:
        query = query.where(glossary_links.c.asset_id == asset_id)
    if status:
        query = query.where(glossary_links.c.status == status)
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    if min_confidence is not None:
        query = query.where(glossary_links.c.confidence >= min_confidence)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    order = (glossary_links.c.confidence.desc(), glossary_terms.c.path_key, assets.c.urn)
    rows = conn.execute(query.order_by(*order).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


def get_link(conn: Connection, term_id: int, asset_id: int) -> dict[str, Any] | None:
    query = _link_select().where(
        glossary_links.c.term_id == term_id, glossary_links.c.asset_id == asset_id
    )
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def link_pairs(conn: Connection) -> dict[tuple[int, int], tuple[int, str]]:
    """Every (term id, asset id) with a link -> (link id, status)."""
    query = sa.select(
        glossary_links.c.id,
        glossary_links.c.term_id,
        glossary_links.c.asset_id,
        glossary_links.c.status,
    )
    return {(r.term_id, r.asset_id): (r.id, r.status) for r in conn.execute(query)}


def insert_links(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(glossary_links), list(rows))


def update_link(conn: Connection, link_id: int, values: dict[str, Any]) -> None:
    conn.execute(sa.update(glossary_links).where(glossary_links.c.id == link_id).values(**values))


def delete_links(conn: Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(list(ids)):
        conn.execute(sa.delete(glossary_links).where(glossary_links.c.id.in_(chunk)))


# built once (issue 20): every asset page asks for its terms
_ACCEPTED_TERMS = (
    sa.select(
        glossary_links.c.asset_id,
        glossary_terms.c.name,
        glossary_terms.c.path,
        glossary_terms.c.synonyms,
        glossary_terms.c.abbreviations,
    )
    .join(glossary_terms, glossary_terms.c.id == glossary_links.c.term_id)
    .where(
        glossary_links.c.asset_id.in_(sa.bindparam("ids", expanding=True)),
        glossary_links.c.status == "accepted",
    )
    .order_by(glossary_terms.c.path_key)
)


def accepted_terms(conn: Connection, asset_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Per asset, the terms linked to it and accepted (name, path, synonyms, abbreviations)."""
    out: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(list(asset_ids)):
        for r in conn.execute(_ACCEPTED_TERMS, {"ids": list(chunk)}).mappings():
            out.setdefault(r["asset_id"], []).append(dict(r))
    return out


def term_ids_after(conn: Connection, after: int, limit: int) -> list[int]:
    query = (
        sa.select(glossary_terms.c.id)
        .where(glossary_terms.c.id > after)
        .order_by(glossary_terms.c.id)
        .limit(limit)
    )
    return [r[0] for r in conn.execute(query)]


def assets_for_matching(conn: Connection, source_id: int | None) -> list[dict[str, Any]]:
    """Live tables, views, datasets and columns: id, type, name, description, parent id."""
    query = sa.select(
        assets.c.id,
        assets.c.type,
        assets.c.name,
        assets.c.parent_id,
        assets.c.description,
        assets.c.source_properties,
    ).where(
        assets.c.deleted_at.is_(None),
        assets.c.type.in_(("table", "view", "dataset", "column")),
    )
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    return [dict(r) for r in conn.execute(query.order_by(assets.c.id)).mappings()]
