"""Storage of domains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sounding.features.domains.tables import domains
from sounding.store.tables import assets

_parent = domains.alias("parent")


def _counted() -> sa.Select[Any]:
    live = sa.and_(assets.c.domain == domains.c.name, assets.c.deleted_at.is_(None))
    asset_count = sa.select(sa.func.count()).select_from(assets).where(live).scalar_subquery()
    kids = domains.alias("kids")
    sub_count = (
        sa.select(sa.func.count())
        .select_from(kids)
        .where(kids.c.parent_id == domains.c.id)
        .scalar_subquery()
    )
    return sa.select(
        domains,
        _parent.c.name.label("parent"),
        asset_count.label("asset_count"),
        sub_count.label("subdomain_count"),
    ).outerjoin(_parent, _parent.c.id == domains.c.parent_id)


def _where(q: str | None, parent_id: int | None, top: bool, owner: str | None) -> list[Any]:
    out: list[Any] = []
    if q:
        raw = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out.append(domains.c.name_key.like(f"%{raw}%", escape="\\"))
    if parent_id is not None:
        out.append(domains.c.parent_id == parent_id)
    elif top:
        out.append(domains.c.parent_id.is_(None))
    if owner:
        # owners is a small JSON list of names: match the quoted name in its text
        quoted = owner.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out.append(sa.cast(domains.c.owners, sa.Text).like(f'%"{quoted}"%', escape="\\"))
    return out


def list_domains(
    conn: Connection,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    parent_id: int | None = None,
    top: bool = False,
    owner: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    where = _where(q, parent_id, top, owner)
    total = conn.execute(sa.select(sa.func.count()).select_from(domains).where(*where))
    query = _counted().where(*where).order_by(domains.c.name_key).limit(limit).offset(offset)
    rows = conn.execute(query).mappings()
    return [dict(r) for r in rows], int(total.scalar_one())


def get(
    conn: Connection, *, domain_id: int | None = None, name: str | None = None
) -> dict[str, Any] | None:
    query = _counted()
    if domain_id is not None:
        query = query.where(domains.c.id == domain_id)
    else:
        query = query.where(domains.c.name_key == (name or "").casefold())
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def children(conn: Connection, domain_id: int) -> list[dict[str, Any]]:
    query = _counted().where(domains.c.parent_id == domain_id).order_by(domains.c.name_key)
    return [dict(r) for r in conn.execute(query).mappings()]


def parent_of(conn: Connection, domain_id: int) -> tuple[int | None, str] | None:
    row = conn.execute(
        sa.select(domains.c.parent_id, domains.c.name).where(domains.c.id == domain_id)
    ).first()
    return (row[0], row[1]) if row else None


def name_by_key(conn: Connection, name: str) -> str | None:
    return conn.execute(
        sa.select(domains.c.name).where(domains.c.name_key == name.casefold())
    ).scalar_one_or_none()


def insert(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(domains).values(dict(values)).returning(domains.c.id))
    return int(result.scalar_one())


def update(conn: Connection, domain_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(domains).where(domains.c.id == domain_id).values(dict(values)))


def delete(conn: Connection, domain_id: int) -> None:
    conn.execute(sa.delete(domains).where(domains.c.id == domain_id))


def rename_assets(conn: Connection, old: str, new: str) -> int:
    """Assets of domain ``old`` (deleted ones too) now name ``new``."""
    result = conn.execute(sa.update(assets).where(assets.c.domain == old).values(domain=new))
    return int(result.rowcount or 0)


def rename_assets_to_none(conn: Connection, name: str) -> None:
    conn.execute(sa.update(assets).where(assets.c.domain == name).values(domain=None))


def asset_count(conn: Connection, name: str, *, include_deleted: bool) -> int:
    query = sa.select(sa.func.count()).select_from(assets).where(assets.c.domain == name)
    if not include_deleted:
        query = query.where(assets.c.deleted_at.is_(None))
    return int(conn.execute(query).scalar_one())
