"""Storage of tag groups and their tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.tag_taxonomy.tables import tag_groups, taxonomy_tags


def list_groups(conn: Connection, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(sa.select(sa.func.count()).select_from(tag_groups)).scalar_one()
    rows = conn.execute(
        sa.select(tag_groups).order_by(tag_groups.c.name).limit(limit).offset(offset)
    ).mappings()
    return [dict(r) for r in rows], int(total)


def get(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(tag_groups).where(tag_groups.c.name == name)).mappings().first()
    return dict(row) if row else None


def tags_of(conn: Connection, group_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {g: [] for g in group_ids}
    if not group_ids:
        return out
    query = (
        sa.select(taxonomy_tags)
        .where(taxonomy_tags.c.group_id.in_(list(group_ids)))
        .order_by(taxonomy_tags.c.name)
    )
    for row in conn.execute(query).mappings():
        out[row["group_id"]].append(dict(row))
    return out


def insert(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(tag_groups).values(dict(values)).returning(tag_groups.c.id))
    return int(result.scalar_one())


def update(conn: Connection, group_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(tag_groups).where(tag_groups.c.id == group_id).values(dict(values)))


def delete(conn: Connection, group_id: int) -> None:
    conn.execute(sa.delete(tag_groups).where(tag_groups.c.id == group_id))


def upsert_tags(conn: Connection, group_id: int, tags: Sequence[tuple[str, str | None]]) -> None:
    for name, description in tags:
        conn.execute(
            sa.delete(taxonomy_tags).where(
                taxonomy_tags.c.group_id == group_id, taxonomy_tags.c.name == name
            )
        )
        conn.execute(
            sa.insert(taxonomy_tags).values(group_id=group_id, name=name, description=description)
        )


def remove_tags(conn: Connection, group_id: int, names: Sequence[str]) -> None:
    if names:
        conn.execute(
            sa.delete(taxonomy_tags).where(
                taxonomy_tags.c.group_id == group_id, taxonomy_tags.c.name.in_(list(names))
            )
        )


def groups_by_name(conn: Connection, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not names:
        return {}
    rows = conn.execute(sa.select(tag_groups).where(tag_groups.c.name.in_(list(names)))).mappings()
    return {r["name"]: dict(r) for r in rows}
