"""Row versions (``row_version``): the revision a conditional write compares."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def current(conn: Connection, table: sa.Table, row_id: int, *, lock: bool = False) -> int | None:
    """The row's revision, or None when it does not exist. ``lock`` holds the row until the
    transaction ends (PostgreSQL ``FOR UPDATE``; a SQLite write transaction already excludes
    every other writer), so a comparison and the write after it cannot be interleaved."""
    query = sa.select(table.c.row_version).where(table.c.id == row_id)
    if lock:
        query = query.with_for_update()
    found = conn.execute(query).scalar_one_or_none()
    return None if found is None else int(found)
