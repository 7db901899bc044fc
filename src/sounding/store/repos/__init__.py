"""Repositories: one module per aggregate; each function takes an open Connection."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def utcnow() -> datetime:
    return datetime.now(UTC)


@functools.lru_cache(maxsize=512)
def _update_by_id(table: sa.Table, keys: tuple[str, ...]) -> sa.Update:
    # each value a bound parameter (typed by its column), so the statement is built and keyed
    # once per table and set of columns, not once per row as ``.values(**row)`` is
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id__"))
        .values({table.c[k]: sa.bindparam(f"{k}__") for k in keys})
    )


def update_by_id(conn: Connection, table: sa.Table, row_id: int, values: Mapping[str, Any]) -> int:
    """``UPDATE table SET values WHERE id = row_id`` with a statement built once per set of
    columns, for updates made row by row in a loop; returns the rows matched (0 or 1)."""
    if not values:
        return 0
    params = {f"{k}__": v for k, v in values.items()}
    params["row_id__"] = row_id
    return int(conn.execute(_update_by_id(table, tuple(sorted(values))), params).rowcount)
