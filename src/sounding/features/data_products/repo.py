"""Storage of data products and their ports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.data_products.tables import data_product_ports, data_products
from sounding.store.tables import assets, sources


def _counted() -> sa.Select[Any]:
    def count(direction: str) -> Any:
        return (
            sa.select(sa.func.count())
            .select_from(data_product_ports)
            .where(
                data_product_ports.c.product_id == data_products.c.id,
                data_product_ports.c.direction == direction,
            )
            .scalar_subquery()
        )

    return sa.select(
        data_products,
        count("input").label("input_count"),
        count("output").label("output_count"),
    )


def list_products(
    conn: Connection,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    status: str | None = None,
    domain: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    where: list[Any] = []
    if q:
        raw = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(data_products.c.name_key.like(f"%{raw}%", escape="\\"))
    if status:
        where.append(data_products.c.status == status)
    if domain:
        where.append(data_products.c.domain == domain)
    total = conn.execute(sa.select(sa.func.count()).select_from(data_products).where(*where))
    query = _counted().where(*where).order_by(data_products.c.name_key).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(query).mappings()], int(total.scalar_one())


def get(
    conn: Connection, *, product_id: int | None = None, name: str | None = None
) -> dict[str, Any] | None:
    query = _counted()
    if product_id is not None:
        query = query.where(data_products.c.id == product_id)
    else:
        query = query.where(data_products.c.name_key == (name or "").casefold())
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def ports(conn: Connection, product_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(
            data_product_ports.c.direction,
            assets.c.id,
            assets.c.urn,
            assets.c.name,
            assets.c.qualified_name,
            assets.c.type,
            assets.c.deleted_at,
            sources.c.name.label("source"),
        )
        .join(assets, assets.c.id == data_product_ports.c.asset_id)
        .join(sources, sources.c.id == assets.c.source_id)
        .where(data_product_ports.c.product_id == product_id)
        .order_by(assets.c.qualified_name, assets.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def port_ids(conn: Connection, product_id: int) -> set[tuple[str, int]]:
    query = sa.select(data_product_ports.c.direction, data_product_ports.c.asset_id).where(
        data_product_ports.c.product_id == product_id
    )
    return {(d, int(a)) for d, a in conn.execute(query)}


def set_ports(conn: Connection, product_id: int, direction: str, asset_ids: Iterable[int]) -> None:
    conn.execute(
        sa.delete(data_product_ports).where(
            data_product_ports.c.product_id == product_id,
            data_product_ports.c.direction == direction,
        )
    )
    rows = [{"product_id": product_id, "asset_id": a, "direction": direction} for a in asset_ids]
    if rows:
        conn.execute(sa.insert(data_product_ports), rows)


def insert(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(
        sa.insert(data_products).values(dict(values)).returning(data_products.c.id)
    )
    return int(result.scalar_one())


def update(conn: Connection, product_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(
        sa.update(data_products).where(data_products.c.id == product_id).values(dict(values))
    )


def delete(conn: Connection, product_id: int) -> None:
    conn.execute(sa.delete(data_products).where(data_products.c.id == product_id))
