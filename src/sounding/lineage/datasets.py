"""FROM items that are datasets without being plain table names.

* **Snowflake stages**: ``@stage``, ``@db.schema.stage``, ``@~`` (the user's stage) and
  ``@%table`` (a table's stage), each optionally followed by a path
  (``@stage/data/2024/x.csv``). The dataset is the stage, named without ``@`` or path; the path
  is where in it the statement reads or writes, reported apart (``LineageResult.locations``).
* **Table-valued functions** a user defined: ``FROM TABLE(db.schema.fn(...))``, ``FROM fn()``,
  ``FROM db.fn(x)``, in any branch of a set operation. A function called per row of the tables
  to its left (``LATERAL fn(t.x)``, ``CROSS APPLY fn(t.id)``) expands those rows, as ``UNNEST``
  does, and is not a dataset. sqlglot parses every function it knows as a
  typed node (``Explode``, ``Unnest``, ``Generator``, ``SplitToTable`` ...); a function it does not
  know stays ``Anonymous``, so an anonymous function in a table position is a user's function:
  the dataset it reads is the function, named like a table. The few system table functions
  sqlglot leaves anonymous, which read no stored data, are listed in
  :data:`SYSTEM_TABLE_FUNCTIONS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from sqlglot import exp

# Table functions of the engines we read that produce rows from their arguments or from
# session state, never from a stored dataset, and that sqlglot does not model as typed nodes.
SYSTEM_TABLE_FUNCTIONS = frozenset(
    {
        # Snowflake
        "result_scan",
        "generator",
        "flatten",
        "split_to_table",
        "strtok_split_to_table",
        "infer_schema",
        "validate",
        "rest_event_history",
        # SQL Server
        "string_split",
        "openjson",
        "generate_series",
        # PostgreSQL and friends
        "json_each",
        "json_each_text",
        "jsonb_each",
        "jsonb_each_text",
        "json_array_elements",
        "jsonb_array_elements",
        "json_array_elements_text",
        "jsonb_array_elements_text",
        "json_to_recordset",
        "jsonb_to_recordset",
        "json_populate_recordset",
        "jsonb_populate_recordset",
        "regexp_matches",
        "regexp_split_to_table",
        "unnest",
        "pg_stat_statements",
        # Spark, Hive, Trino, DuckDB, BigQuery
        "range",
        "sequence",
        "explode",
        "explode_outer",
        "posexplode",
        "posexplode_outer",
        "inline",
        "inline_outer",
        "stack",
        "json_tuple",
        "parse_url_tuple",
        "generate_array",
        "generate_date_array",
        "generate_timestamp_array",
        "json_table",
        "values",
    }
)


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage reference: its name parts (without ``@``) and the path inside it, if any."""

    parts: tuple[str, ...]
    path: str | None

    def table(self) -> exp.Table:
        """The stage as a table reference, so that it is named like every dataset."""
        *qualifiers, name = self.parts
        catalog, db = ([None, None, *qualifiers])[-2:]
        return exp.Table(
            this=exp.to_identifier(name),
            db=exp.to_identifier(db) if db else None,
            catalog=exp.to_identifier(catalog) if catalog else None,
        )


def stage_of(node: exp.Expr | None) -> Stage | None:
    """The stage ``node`` names (``@stage/path``, parsed by sqlglot as a ``Var`` or a string),
    or ``None``."""
    if isinstance(node, exp.Table):
        node = node.this
    if not isinstance(node, (exp.Var, exp.Literal, exp.Identifier)):
        return None
    text = str(node.this or "").strip()
    return parse_stage(text) if text.startswith("@") else None


def parse_stage(text: str) -> Stage | None:
    """``@db.schema.stage/sub/path/file.csv`` -> parts ``(db, schema, stage)`` and the path."""
    body = text[1:]
    name, slash, path = body.partition("/")
    name = name.strip()
    if not name:
        return None
    parts = tuple(_unquote(part) for part in _split_dotted(name))
    if not all(parts):
        return None
    return Stage(parts, path.strip() or None if slash else None)


def _split_dotted(name: str) -> list[str]:
    """Split on dots outside double quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in name:
        if char == '"':
            quoted = not quoted
        if char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] == '"':
        return part[1:-1]
    return part.lower()


def function_table(node: exp.Expr) -> exp.Table | None:
    """The user table function a FROM item calls, named as a table, or ``None``.

    ``node`` is a ``Table`` (``FROM fn(...)``, ``FROM db.fn(...)``) or a ``TableFromRows``
    (``FROM TABLE(db.schema.fn(...))``)."""
    if isinstance(node, exp.Table):
        call = node.this
        if not isinstance(call, exp.Anonymous) or isinstance(node.parent, exp.Lateral):
            return None
        qualifiers = [node.args.get("catalog"), node.args.get("db")]
    elif isinstance(node, exp.TableFromRows) and not isinstance(node.parent, exp.Lateral):
        call, parts = node.this, cast("list[str] | None", [])
        if isinstance(call, exp.Dot):  # db.schema.fn(...): Dot(Dot(db, schema), fn(...))
            parts = _parts(call.this)
            call = call.expression
        if not isinstance(call, exp.Anonymous) or parts is None:
            return None
        qualifiers = [None, None, *[exp.to_identifier(part) for part in parts]][-2:]
    else:
        return None
    name = str(call.this or "").lower()
    if not name or name in SYSTEM_TABLE_FUNCTIONS:
        return None
    return exp.Table(this=exp.to_identifier(name), db=qualifiers[1], catalog=qualifiers[0])


def _parts(node: exp.Expr) -> list[str] | None:
    """``a`` or ``a.b`` as name parts, or ``None`` for anything else."""
    if isinstance(node, exp.Identifier):
        return [str(node.this)]
    if isinstance(node, exp.Dot):
        left, right = _parts(node.this), _parts(node.expression)
        return left + right if left is not None and right is not None else None
    return None


def function_tables(statement: exp.Expr) -> Iterator[tuple[exp.Expr, exp.Table]]:
    """Every FROM item of ``statement`` that calls a user table function, with the function
    named as a table."""
    for node in statement.find_all(exp.Table, exp.TableFromRows):
        table = function_table(node)
        if table is not None:
            yield node, table
