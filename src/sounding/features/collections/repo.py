"""Storage of collections, their shares and their items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.collections.tables import (
    collection_items,
    collection_shares,
    collections,
)
from sounding.store.tables import assets, sources


def _counted() -> sa.Select[Any]:
    count = (
        sa.select(sa.func.count())
        .select_from(collection_items)
        .where(collection_items.c.collection_id == collections.c.id)
        .scalar_subquery()
    )
    return sa.select(collections, count.label("item_count"))


def _visible_to(user: str) -> Any:
    shared_with_user = sa.select(collection_shares.c.collection_id).where(
        collection_shares.c.user_name == user
    )
    return sa.or_(
        collections.c.owner == user,
        collections.c.visibility == "shared",
        sa.and_(collections.c.visibility == "users", collections.c.id.in_(shared_with_user)),
    )


def list_collections(
    conn: Connection,
    *,
    user: str,
    scope: str,
    limit: int,
    offset: int,
    q: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """``scope``: ``mine``, ``shared`` (others' that ``user`` sees) or ``all`` (both)."""
    where: list[Any] = []
    if scope == "mine":
        where.append(collections.c.owner == user)
    elif scope == "shared":
        where.extend([collections.c.owner != user, _visible_to(user)])
    else:
        where.append(_visible_to(user))
    if q:
        raw = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(collections.c.name_key.like(f"%{raw}%", escape="\\"))
    total = conn.execute(sa.select(sa.func.count()).select_from(collections).where(*where))
    mine_first = sa.case((collections.c.owner == user, 0), else_=1)
    query = (
        _counted()
        .where(*where)
        .order_by(mine_first, collections.c.name_key, collections.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in conn.execute(query).mappings()], int(total.scalar_one())


def get(conn: Connection, collection_id: int) -> dict[str, Any] | None:
    row = conn.execute(_counted().where(collections.c.id == collection_id)).mappings().first()
    return dict(row) if row else None


def lock(conn: Connection, collection_id: int) -> None:
    """Take the collection's row for this transaction (a bump of its revision), so that two
    concurrent adds count and number its items one after the other."""
    conn.execute(
        sa.update(collections)
        .where(collections.c.id == collection_id)
        .values(updated_at=collections.c.updated_at)
    )


def shares(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    query = (
        sa.select(collection_shares.c.collection_id, collection_shares.c.user_name)
        .where(collection_shares.c.collection_id.in_(list(ids)))
        .order_by(collection_shares.c.user_name)
    )
    for cid, name in conn.execute(query):
        out[int(cid)].append(name)
    return out


def set_shares(conn: Connection, collection_id: int, names: Sequence[str]) -> None:
    conn.execute(
        sa.delete(collection_shares).where(collection_shares.c.collection_id == collection_id)
    )
    if names:
        conn.execute(
            sa.insert(collection_shares),
            [{"collection_id": collection_id, "user_name": n} for n in names],
        )


def count_owned(conn: Connection, owner: str) -> int:
    query = sa.select(sa.func.count()).select_from(collections)
    return int(conn.execute(query.where(collections.c.owner == owner)).scalar_one())


def id_by_name(conn: Connection, owner: str, name_key: str) -> int | None:
    query = sa.select(collections.c.id).where(
        collections.c.owner == owner, collections.c.name_key == name_key
    )
    found = conn.execute(query).scalar_one_or_none()
    return int(found) if found is not None else None


def insert(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(collections).values(dict(values)).returning(collections.c.id))
    return int(result.scalar_one())


def update(conn: Connection, collection_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(
        sa.update(collections).where(collections.c.id == collection_id).values(dict(values))
    )


def delete(conn: Connection, collection_id: int) -> None:
    conn.execute(
        sa.delete(collection_items).where(collection_items.c.collection_id == collection_id)
    )
    conn.execute(
        sa.delete(collection_shares).where(collection_shares.c.collection_id == collection_id)
    )
    conn.execute(sa.delete(collections).where(collections.c.id == collection_id))


def items(conn: Connection, collection_id: int, *, limit: int, offset: int) -> list[dict[str, Any]]:
    query = (
        sa.select(
            collection_items.c.position,
            collection_items.c.urn,
            assets.c.id.label("asset_id"),  # None once the store no longer holds the asset
            collection_items.c.note,
            collection_items.c.added_by,
            collection_items.c.added_at,
            sa.func.coalesce(assets.c.name, collection_items.c.name).label("name"),
            sa.func.coalesce(assets.c.type, collection_items.c.type).label("type"),
            assets.c.domain,
            assets.c.deleted_at,
            sources.c.name.label("source"),
        )
        .select_from(collection_items)
        .outerjoin(assets, assets.c.id == collection_items.c.asset_id)
        .outerjoin(sources, sources.c.id == assets.c.source_id)
        .where(collection_items.c.collection_id == collection_id)
        .order_by(collection_items.c.position, collection_items.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def item_asset_ids(conn: Connection, collection_id: int, asset_ids: Sequence[int]) -> set[int]:
    """Which of ``asset_ids`` the collection holds."""
    if not asset_ids:
        return set()
    query = sa.select(collection_items.c.asset_id).where(
        collection_items.c.collection_id == collection_id,
        collection_items.c.asset_id.in_(list(asset_ids)),
    )
    return {int(a) for (a,) in conn.execute(query)}


def item_urns(conn: Connection, collection_id: int, urns: Sequence[str]) -> set[str]:
    if not urns:
        return set()
    query = sa.select(collection_items.c.urn).where(
        collection_items.c.collection_id == collection_id,
        collection_items.c.urn.in_(list(urns)),
    )
    return {u for (u,) in conn.execute(query)}


def last_position(conn: Connection, collection_id: int) -> int:
    query = sa.select(sa.func.max(collection_items.c.position)).where(
        collection_items.c.collection_id == collection_id
    )
    found = conn.execute(query).scalar_one_or_none()
    return int(found) if found is not None else 0


def add_items(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(collection_items), [dict(r) for r in rows])


def remove_items(conn: Connection, collection_id: int, urns: Sequence[str]) -> None:
    if urns:
        conn.execute(
            sa.delete(collection_items).where(
                collection_items.c.collection_id == collection_id,
                collection_items.c.urn.in_(list(urns)),
            )
        )


def assets_by_urn(conn: Connection, urns: Sequence[str]) -> dict[str, tuple[int, str, str]]:
    """(id, name, type) of the assets of these URNs (deleted ones too) the store holds."""
    if not urns:
        return {}
    query = sa.select(assets.c.urn, assets.c.id, assets.c.name, assets.c.type).where(
        assets.c.urn.in_(list(urns))
    )
    return {u: (int(i), n, t) for u, i, n, t in conn.execute(query)}


def containing(conn: Connection, asset_id: int, ids: Sequence[int]) -> set[int]:
    """Which of the collections ``ids`` hold the asset."""
    if not ids:
        return set()
    query = sa.select(collection_items.c.collection_id).where(
        collection_items.c.asset_id == asset_id,
        collection_items.c.collection_id.in_(list(ids)),
    )
    return {int(c) for (c,) in conn.execute(query)}
