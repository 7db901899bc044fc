"""Statements sqlglot keeps as opaque commands, and functions that move whole tables.

* ``RENAME TABLE a TO b, c TO d`` (MySQL, Teradata, Exasol) renames;
* ``ALTER TABLE a EXCHANGE PARTITION (...) WITH TABLE b`` (Hive) moves b's data into a;
* ``UNLOAD ('select ...') TO 's3://...'`` (Redshift) writes the query's rows to a path;
* ``REPLACE INTO t ...`` (MySQL) is an INSERT;
* ``CREATE STREAM s ON TABLE t | ON VIEW v [AT | BEFORE (...)]`` (Snowflake) reads t into s;
* Vertica's partition functions (``SWAP_PARTITIONS_BETWEEN_TABLES('src', min, max, 'tgt')``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from sounding.lineage.catalog import Catalog
from sounding.lineage.facts import StatementFacts

_RENAME = re.compile(r"^\s*TABLE\s+(.*)$", re.IGNORECASE | re.DOTALL)
_RENAME_PAIR = re.compile(r"^\s*(\S+)\s+TO\s+(\S+)\s*$", re.IGNORECASE)
_EXCHANGE = re.compile(
    r"^\s*TABLE\s+(\S+)\s+EXCHANGE\s+PARTITION\s*\(.*?\)\s*WITH\s+TABLE\s+(\S+)",
    re.IGNORECASE | re.DOTALL,
)
_UNLOAD = re.compile(r"^\s*\(\s*'((?:[^']|'')*)'\s*\)\s*TO\s+'([^']*)'", re.IGNORECASE | re.DOTALL)
_NAME = r'(?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))*'
_STREAM = re.compile(
    rf"^\s*(?:OR\s+REPLACE\s+)?STREAM\s+(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})"
    rf"(?:\s+COPY\s+GRANTS)?\s+ON\s+(?:EXTERNAL\s+TABLE|DYNAMIC\s+TABLE|TABLE|VIEW|STAGE)"
    rf"\s+({_NAME})",
    re.IGNORECASE,
)
# function name -> (index of the source table argument, index of the target table argument)
_TABLE_MOVERS = {
    "swap_partitions_between_tables": (0, 3),
    "move_partitions_to_table": (0, 3),
    "copy_partitions_to_table": (0, 3),
    "copy_table": (0, 1),
}


def command_facts(
    command: exp.Command,
    catalog: Catalog,
    dialect: Dialect,
    analyze: Callable[[exp.Expr], StatementFacts],
) -> StatementFacts:
    keyword = str(command.this).upper()
    text = command.expression
    body = text.name if isinstance(text, exp.Expr) else str(text or "")
    facts = StatementFacts(f"command_{keyword.lower()}")

    def name(raw: str) -> str:
        return catalog.table_name(exp.to_table(raw, dialect=dialect))

    if keyword == "RENAME" and (match := _RENAME.match(body)):
        for pair in match.group(1).split(","):
            if found := _RENAME_PAIR.match(pair):
                facts.renames.append((name(found.group(1)), name(found.group(2))))
    elif keyword == "ALTER" and (match := _EXCHANGE.match(body)):
        facts.writes.append(name(match.group(1)))
        facts.reads.append(name(match.group(2)))
    elif keyword == "CREATE" and (match := _STREAM.match(body)):
        stream, source = name(match.group(1)), name(match.group(2))
        facts.kind = "create_stream"
        facts.writes.append(stream)
        facts.reads.append(source)
        columns = catalog.columns(source)
        if columns is not None:  # a stream has its source's columns (and METADATA$ ones)
            catalog.define(stream, list(columns))
    elif keyword == "REPLACE" and body.lstrip().upper().startswith("INTO"):
        try:  # MySQL's REPLACE INTO is an INSERT that overwrites rows with the same key
            return analyze(sqlglot.parse_one(f"INSERT {body}", read=dialect))
        except SqlglotError:
            return facts
    elif keyword == "UNLOAD" and (match := _UNLOAD.match(body)):
        try:
            inner = sqlglot.parse_one(match.group(1).replace("''", "'"), read=dialect)
        except SqlglotError:
            return facts
        facts.reads = analyze(inner).reads
        facts.writes.append(match.group(2))
    return facts


def moving_function_facts(select: exp.Select, catalog: Catalog) -> StatementFacts | None:
    """``SELECT copy_table('a', 'b')`` and friends, or ``None`` if the SELECT is not one."""
    for projection in select.expressions:
        call = projection.unalias()
        if not isinstance(call, exp.Anonymous):
            continue
        positions = _TABLE_MOVERS.get(str(call.this).lower())
        args = call.expressions
        if positions is None or len(args) <= max(positions):
            continue
        source, target = (args[i] for i in positions)
        if isinstance(source, exp.Literal) and isinstance(target, exp.Literal):
            facts = StatementFacts("table_function")
            facts.reads.append(catalog.table_name(exp.to_table(source.name)))
            facts.writes.append(catalog.table_name(exp.to_table(target.name)))
            return facts
    return None
