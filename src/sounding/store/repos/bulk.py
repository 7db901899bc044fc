"""Bulk inserts through the driver's ``executemany``, for the tens of thousands of rows a scan
writes.

SQLAlchemy's executemany (with RETURNING, to learn the new ids) spends most of its time in
Python on each parameter of each row. ``insert_rows`` instead builds the INSERT once per set of
columns, converts values with the very bind processors SQLAlchemy would apply (JSON
serialisation, SQLite's datetime text, booleans), so what is stored is identical, and hands
plain tuples to the driver in one ``executemany``.

New ids are assigned before inserting, inside the caller's write transaction: on SQLite
``max(id) + 1 ...`` (``Database.write()`` begins IMMEDIATE, so the transaction already holds
the database's single write lock and no other writer can take an id in between); on
PostgreSQL from the column's own sequence, all of them in one round trip. Row triggers (the
search outbox) fire for every row exactly as for any other INSERT.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@dataclass(frozen=True)
class _Statement:
    sql: str
    keys: tuple[str, ...]  # row keys in placeholder order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # position -> bind processor


_statements: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], _Statement]]
_statements = weakref.WeakKeyDictionary()


def _statement(dialect: Dialect, table: sa.Table, keys: tuple[str, ...]) -> _Statement:
    cache = _statements.setdefault(dialect, {})
    found = cache.get((table.fullname, keys))
    if found is not None:
        return found
    quote = dialect.identifier_preparer.quote
    mark = _PLACEHOLDERS[dialect.paramstyle]
    columns = [table.c[key] for key in keys]
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(c.name) for c in columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    processors = []
    for position, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((position, process))
    found = cache[(table.fullname, keys)] = _Statement(sql, keys, tuple(processors))
    return found


def _convert_column(process: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """``process`` applied to each value, converting each distinct object only once.

    Scans repeat the same timestamp, ``True``/``False``/``None`` on every row, so most columns
    hold a handful of objects; those that don't (JSON per row) still convert empty ``{}``/``[]``
    once. Objects are told apart by identity, safe while ``values`` keeps them all alive.
    """
    distinct = dict(zip(map(id, values), values, strict=False))  # same iterable twice
    if len(distinct) * 4 <= len(values):
        done = {key: process(value) for key, value in distinct.items()}
        return list(map(done.__getitem__, map(id, values)))
    empty: dict[type, Any] = {}
    out = []
    for value in values:
        kind = type(value)
        if (kind is dict or kind is list) and not value:
            if kind not in empty:
                empty[kind] = process(value)
            out.append(empty[kind])
        else:
            out.append(process(value))
    return out


def _defaults(table: sa.Table, keys: Sequence[str]) -> dict[str, Any]:
    """Python-side scalar/callable defaults of columns the rows leave out (``tags=[]``)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None or not isinstance(default, sa.ColumnDefault):
            continue
        if default.is_callable:
            out[column.key] = default.arg(None)
        elif default.is_scalar:
            out[column.key] = default.arg
    return out


def allocate_ids(conn: Connection, table: sa.Table, count: int) -> list[int]:
    """``count`` new, ascending ids for ``table``; call inside the write transaction."""
    if count <= 0:
        return []
    pk = table.c.id
    if conn.dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(table.fullname, pk.name)
        nextval = sa.select(sa.func.nextval(sequence)).select_from(
            sa.func.generate_series(1, count)
        )
        return sorted(int(v) for v in conn.execute(nextval).scalars())
    start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(pk), 0))).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))


def insert_rows(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], *, with_ids: bool
) -> list[int]:
    """Insert ``rows`` (all with the same keys); returns their new ids in order when
    ``with_ids`` (otherwise the database numbers them and ``[]`` is returned)."""
    if not rows:
        return []
    given = tuple(rows[0])
    if len(set(map(len, rows))) != 1:  # with itemgetter's KeyError: the keys of rows[0]
        raise ValueError(f"Every row inserted into {table.name} needs the keys {given}")
    defaults = _defaults(table, given)
    ids = allocate_ids(conn, table, len(rows)) if with_ids else []
    statement = _statement(conn.dialect, table, (*given, *defaults, *(("id",) if with_ids else ())))
    columns: list[Sequence[Any]] = [list(map(itemgetter(key), rows)) for key in given]
    columns += [[value] * len(rows) for value in defaults.values()]
    if with_ids:
        columns.append(ids)
    for position, process in statement.processors:
        columns[position] = _convert_column(process, columns[position])
    conn.exec_driver_sql(statement.sql, list(zip(*columns, strict=False)))  # equal lengths
    return ids
