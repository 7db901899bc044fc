"""Profiles, classifications, classification state and scan rule sets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.store.repos import update_by_id
from sounding.store.tables import assets, sources
from sounding.store.tables_scanning import (
    classification_state,
    classifications,
    profiles,
    scan_rule_sets,
    source_rule_sets,
)

# --- profiles ---------------------------------------------------------------------------


def insert_profiles(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(profiles), list(rows))


def profile_history(conn: Connection, asset_id: int, limit: int, offset: int) -> list[Any]:
    query = (
        sa.select(profiles)
        .where(profiles.c.asset_id == asset_id)
        .order_by(profiles.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def latest_profile_key(conn: Connection, asset_id: int) -> tuple[int, datetime] | None:
    """The id and time of the asset's newest profile (profiles are never updated: these
    name one), read without its body."""
    query = (
        sa.select(profiles.c.id, profiles.c.created_at)
        .where(profiles.c.asset_id == asset_id)
        .order_by(profiles.c.id.desc())
        .limit(1)
    )
    found = conn.execute(query).first()
    return (int(found[0]), found[1]) if found is not None else None


def get_profile(conn: Connection, profile_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(profiles).where(profiles.c.id == profile_id)).mappings().first()
    return dict(row) if row is not None else None


def count_profiles(conn: Connection, asset_id: int) -> int:
    query = sa.select(sa.func.count()).where(profiles.c.asset_id == asset_id)
    return int(conn.execute(query).scalar_one())


# --- classifications ----------------------------------------------------------------------


def labels_for(conn: Connection, asset_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for i in range(0, len(asset_ids), 500):
        query = sa.select(classifications).where(
            classifications.c.asset_id.in_(asset_ids[i : i + 500])
        )
        for row in conn.execute(query.order_by(classifications.c.confidence.desc())).mappings():
            out.setdefault(row["asset_id"], []).append(dict(row))
    return out


def insert_classifications(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(classifications), list(rows))


def update_classification(conn: Connection, row_id: int, values: dict[str, Any]) -> None:
    update_by_id(conn, classifications, row_id, values)


def delete_classifications(conn: Connection, ids: Sequence[int]) -> None:
    for i in range(0, len(ids), 500):
        conn.execute(sa.delete(classifications).where(classifications.c.id.in_(ids[i : i + 500])))


def _labels_where(
    query: sa.Select[Any], label: str | None, status: str | None, source_id: int | None
) -> sa.Select[Any]:
    """The label filters the classification list and the review queue share; a family name
    matches its subtypes (PII.NationalId finds PII.NationalId.US_SSN)."""
    if label:
        query = query.where(
            sa.or_(classifications.c.label == label, classifications.c.label.like(label + ".%"))
        )
    if status:
        query = query.where(classifications.c.status == status)
    if source_id is not None:
        query = query.where(assets.c.source_id == source_id)
    return query


def by_label(
    conn: Connection,
    label: str | None,
    status: str | None,
    source_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    query = (
        sa.select(
            classifications,
            assets.c.urn,
            assets.c.qualified_name,
            assets.c.name.label("column"),
            sources.c.name.label("source"),
        )
        .join(assets, assets.c.id == classifications.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
        .where(assets.c.deleted_at.is_(None))
    )
    query = _labels_where(query, label, status, source_id)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(assets.c.qualified_name, classifications.c.label).limit(limit).offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


# --- state ----------------------------------------------------------------------------------


def states(conn: Connection, source_id: int) -> dict[int, tuple[str, str | None]]:
    query = (
        sa.select(
            classification_state.c.asset_id,
            classification_state.c.ruleset_hash,
            classification_state.c.table_fingerprint,
        )
        .join(assets, assets.c.id == classification_state.c.asset_id)
        .where(assets.c.source_id == source_id)
    )
    return {r[0]: (r[1], r[2]) for r in conn.execute(query)}


def set_state(
    conn: Connection, asset_id: int, ruleset_hash: str, fingerprint: str | None, now: datetime
) -> None:
    conn.execute(sa.delete(classification_state).where(classification_state.c.asset_id == asset_id))
    conn.execute(
        sa.insert(classification_state).values(
            asset_id=asset_id,
            ruleset_hash=ruleset_hash,
            table_fingerprint=fingerprint,
            classified_at=now,
        )
    )


# --- rule sets ------------------------------------------------------------------------------


def rule_sets(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(scan_rule_sets).order_by("name")).mappings()]


def rule_set(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(scan_rule_sets).where(scan_rule_sets.c.name == name)).first()
    return dict(row._mapping) if row else None


def upsert_rule_set(
    conn: Connection, name: str, description: str | None, definition: Any, actor: str, now: Any
) -> tuple[int, bool]:
    existing = rule_set(conn, name)
    if existing is None:
        result = conn.execute(
            sa.insert(scan_rule_sets)
            .values(
                name=name,
                description=description,
                definition=definition,
                version=1,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            .returning(scan_rule_sets.c.id)
        )
        return int(result.scalar_one()), True
    conn.execute(
        sa.update(scan_rule_sets)
        .where(scan_rule_sets.c.id == existing["id"])
        .values(
            description=description,
            definition=definition,
            version=existing["version"] + 1,
            updated_at=now,
        )
    )
    return int(existing["id"]), False


def delete_rule_set(conn: Connection, rule_set_id: int) -> None:
    conn.execute(sa.delete(scan_rule_sets).where(scan_rule_sets.c.id == rule_set_id))


def attach(conn: Connection, source_id: int, rule_set_id: int) -> None:
    exists = conn.execute(
        sa.select(source_rule_sets).where(
            source_rule_sets.c.source_id == source_id,
            source_rule_sets.c.rule_set_id == rule_set_id,
        )
    ).first()
    if exists is None:
        conn.execute(
            sa.insert(source_rule_sets).values(source_id=source_id, rule_set_id=rule_set_id)
        )


def detach(conn: Connection, source_id: int, rule_set_id: int) -> int:
    result = conn.execute(
        sa.delete(source_rule_sets).where(
            source_rule_sets.c.source_id == source_id,
            source_rule_sets.c.rule_set_id == rule_set_id,
        )
    )
    return int(result.rowcount)


def rule_sets_of(conn: Connection, source_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(scan_rule_sets)
        .join(source_rule_sets, source_rule_sets.c.rule_set_id == scan_rule_sets.c.id)
        .where(source_rule_sets.c.source_id == source_id)
        .order_by(scan_rule_sets.c.name)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def sources_using(conn: Connection, rule_set_id: int) -> list[str]:
    query = (
        sa.select(sources.c.name)
        .join(source_rule_sets, source_rule_sets.c.source_id == sources.c.id)
        .where(source_rule_sets.c.rule_set_id == rule_set_id)
    )
    return sorted(r[0] for r in conn.execute(query))


# --- the review queue -----------------------------------------------------------------------


def _review_query(
    label: str | None,
    status: str | None,
    source_id: int | None,
    min_confidence: float | None,
    max_confidence: float | None,
) -> sa.Select[Any]:
    query = (
        sa.select(
            classifications,
            assets.c.urn,
            assets.c.qualified_name,
            assets.c.name.label("column"),
            assets.c.parent_id.label("table_id"),
            assets.c.data_type,
            sources.c.name.label("source"),
        )
        .join(assets, assets.c.id == classifications.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
        .where(assets.c.deleted_at.is_(None))
    )
    query = _labels_where(query, label, status, source_id)
    if min_confidence is not None:
        query = query.where(classifications.c.confidence >= min_confidence)
    if max_confidence is not None:
        query = query.where(classifications.c.confidence <= max_confidence)
    return query


def review_page(
    conn: Connection,
    *,
    label: str | None,
    status: str | None,
    source_id: int | None,
    min_confidence: float | None,
    max_confidence: float | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Labels with their column and source, filtered, ordered by table then label."""
    query = _review_query(label, status, source_id, min_confidence, max_confidence)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(
        query.order_by(assets.c.qualified_name, classifications.c.label, classifications.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in rows.mappings()], int(total)


def review_rows(conn: Connection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The labels ``ids`` as :func:`review_page` reads them (in the order of ``ids``)."""
    if not ids:
        return []
    query = _review_query(None, None, None, None, None).where(classifications.c.id.in_(ids))
    found = {r["id"]: dict(r) for r in conn.execute(query).mappings()}
    return [found[i] for i in ids if i in found]


def review_counts(
    conn: Connection, status: str | None, source: str | None
) -> tuple[dict[str, int], dict[str, int]]:
    """How many labels of ``status`` there are per label (within ``source`` if given) and
    per source: the queue's facets, from one grouped query."""
    query = (
        sa.select(classifications.c.label, sources.c.name, sa.func.count())
        .join(assets, assets.c.id == classifications.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
        .where(assets.c.deleted_at.is_(None))
        .group_by(classifications.c.label, sources.c.name)
    )
    if status:
        query = query.where(classifications.c.status == status)
    by_label: dict[str, int] = {}
    by_source: dict[str, int] = {}
    for lab, src, count in conn.execute(query):
        by_source[src] = by_source.get(src, 0) + int(count)
        if source is None or src == source:
            by_label[lab] = by_label.get(lab, 0) + int(count)
    return by_label, by_source


def newest_profiles(conn: Connection, asset_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The newest stored profile of each of ``asset_ids`` (columns have their own rows)."""
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(asset_ids), 500):
        chunk = list(asset_ids[i : i + 500])
        newest = (
            sa.select(sa.func.max(profiles.c.id))
            .where(profiles.c.asset_id.in_(chunk))
            .group_by(profiles.c.asset_id)
        )
        query = sa.select(profiles.c.asset_id, profiles.c.profile).where(
            profiles.c.id.in_(newest.scalar_subquery())
        )
        for row in conn.execute(query).mappings():
            out[int(row["asset_id"])] = dict(row["profile"] or {})
    return out
