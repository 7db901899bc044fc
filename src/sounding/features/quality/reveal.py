"""Which fields of a custom SQL rule's failing rows a caller without ``pii:read`` may see.

Examples of the other rule kinds are values of one known column, masked when that column is
sensitive, exactly as profiles are. A custom SQL row is whatever the steward's SELECT
returned: an alias (``email AS id``), an expression, a column of a joined table or a
function's result (``pg_read_file(...)``) can carry anything. So a field is shown only when
the query provably copies it from a column of the rule's own table that is not sensitive:

* the query reads the rule's table alone (no join, union, subquery or CTE), and uses no
  sensitive column except as a plain output field (a filter on ``email``, ``lower(email)`` or
  ``email AS id`` hides the whole row; a plain ``email`` field is masked by itself);
* the field is a plain reference to a non-sensitive column under its own name, or comes
  from ``*``.

Everything else is masked. A query that does not parse reveals nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import sqlglot
from sqlglot import exp

logger = logging.getLogger(__name__)

TABLE_PLACEHOLDER = "__sounding_rule_table__"


def revealed_fields(
    sql: str, columns: Collection[str], sensitive: Collection[str], dialect: str | None = None
) -> frozenset[str]:
    """Names of the result fields that may be shown unmasked (see the module docstring)."""
    visible = {c.lower(): c for c in columns if c not in sensitive}
    hidden = {c.lower() for c in sensitive}
    try:
        tree = sqlglot.parse_one(sql.replace("{table}", TABLE_PLACEHOLDER), read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return frozenset()
    if not isinstance(tree, exp.Select) or _reads_more_than_one_table(tree):
        return frozenset()
    outputs = {id(item) for item in tree.expressions}
    if any(
        col.name.lower() in hidden and id(col) not in outputs for col in tree.find_all(exp.Column)
    ):
        return frozenset()  # a sensitive column filters, computes or is renamed
    shown: set[str] = set()
    for item in tree.expressions:
        if isinstance(item, exp.Star):
            shown |= set(visible.values())
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            shown |= set(visible.values())  # t.*
        elif isinstance(item, exp.Column) and item.name.lower() in visible:
            shown.add(item.name)
    return frozenset(shown)


def _reads_more_than_one_table(tree: exp.Select) -> bool:
    if any(tree.find_all(exp.Join, exp.Subquery, exp.Union, exp.With, exp.Lateral)):
        return True
    tables = list(tree.find_all(exp.Table))
    return len(tables) != 1 or tables[0].name != TABLE_PLACEHOLDER
