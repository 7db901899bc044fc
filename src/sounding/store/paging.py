"""Keyset paging: order a query by a :class:`SortOrder` and start after a key, or at an offset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from sounding.domain.paging import Key, SortOrder


def seek(
    query: sa.Select[Any],
    order: SortOrder,
    columns: Sequence[sa.ColumnElement[Any]],
    limit: int,
    offset: int = 0,
    after: Key | None = None,
) -> sa.Select[Any]:
    """One page of ``query`` ordered by ``columns`` (the fields of ``order``): the rows after
    ``after`` when given (an index seek, however deep), else from ``offset``."""
    assert len(columns) == len(order.fields)
    ordered = query.order_by(*(c.desc() if order.descending else c for c in columns))
    if after is None:
        return ordered.limit(limit).offset(offset)
    assert len(after) == len(columns)
    if len(columns) == 1:
        bound = columns[0] < after[0] if order.descending else columns[0] > after[0]
    else:
        row, at = sa.tuple_(*columns), sa.tuple_(*after)
        bound = row < at if order.descending else row > at
    return ordered.where(bound).limit(limit)
