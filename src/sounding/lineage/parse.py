"""SQL text to lineage: ``parse_lineage(sql, dialect, schema)``.

A pipeline of small passes, like sqlglot's optimizer:

1. ``parse_script``     split the script into statements (semicolons, batch separators, the
                        BEGIN/END of procedure bodies), parse each, recover what can be;
2. ``expand_blocks``    a body sqlglot parsed whole gives its statements one by one;
3. ``normalize_names``  identifiers lower-cased so names compare as SQL compares them;
4. ``analyze``          what each statement reads, writes, drops, renames, and its column
                        flows (resolved through scopes, the catalog and the script's own DDL);
5. ``merge_routines``   the statements of one procedure body act as one statement;
6. ``combine``          the statements chained into one table and column lineage.

Foreign code runs inside a boundary: a statement that breaks sqlglot becomes a ``ParseProblem``
and the other statements still give their lineage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlglot import exp

from sounding.domain.lineage import LineageResult, ParseProblem, StatementLineage
from sounding.lineage.catalog import Catalog
from sounding.lineage.combine import combine
from sounding.lineage.dialects import dialect_spec, dialects, sqlglot_dialects
from sounding.lineage.facts import StatementFacts
from sounding.lineage.script import ParsedStatement, parse_script
from sounding.lineage.statements import Context, analyze

__all__ = ["dialects", "parse_lineage"]

logger = logging.getLogger(__name__)


def parse_lineage(
    sql: str,
    dialect: str = "ansi",
    schema: Mapping[str, Any] | None = None,
    default_schema: str | None = None,
    *,
    lateral_column_aliases: bool | None = None,
    catalog: Catalog | None = None,
    check: Callable[[], None] | None = None,
) -> LineageResult:
    """Table- and column-level lineage of ``sql`` (one statement or a script).

    ``schema`` maps table names (``"db.table"`` or ``"table"``, or nested ``{"db": {"table":
    {...}}}``) to their columns; it expands ``*`` and ties unqualified columns to tables.
    ``default_schema`` is the schema unqualified names live in: names qualified with it are
    reported unqualified. ``lateral_column_aliases`` lets a projection use an alias defined to
    its left (``SELECT a AS x, x + 1 AS y``); by default the dialect decides. ``catalog``
    (from :func:`make_catalog`) replaces ``schema`` when many statements share one schema.
    ``check`` is called between statements (and between their parses); it raises to stop a
    text that takes too long.
    """
    spec = dialect_spec(dialect)
    catalog = catalog.fresh() if catalog is not None else Catalog(schema, default_schema)
    lateral = (
        spec.lateral_column_aliases if lateral_column_aliases is None else lateral_column_aliases
    )
    script = parse_script(sql, sqlglot_dialects(spec), check)
    problems = list(script.problems)
    facts: list[tuple[int, StatementFacts]] = []
    statements: list[StatementLineage] = []
    for statement in expand_blocks(script.statements):
        if check is not None:
            check()
        try:
            found = _analyze(statement, catalog, lateral)
        except Exception as error:
            logger.debug("Lineage of statement %d failed", statement.index, exc_info=True)
            problems.append(_problem(statement, error))
            continue
        facts.append((statement.unit, found))
        statements.append(
            StatementLineage(
                statement.index, found.kind, statement.sql, tuple(found.reads), tuple(found.writes)
            )
        )
    sources, targets, edges = combine(merge_routines(facts))
    return LineageResult(
        sources=sorted(sources),
        targets=sorted(targets),
        column_lineage=edges,
        errors=sorted(problems, key=lambda p: (p.statement_index, p.line, p.column)),
        statements=statements,
        locations=_locations(facts, {*sources, *targets}),
    )


def _locations(facts: list[tuple[int, StatementFacts]], datasets: set[str]) -> dict[str, list[str]]:
    """The paths inside each source or target (a stage's files) the statements name."""
    found: dict[str, set[str]] = {}
    for _, statement in facts:
        for dataset, path in statement.locations:
            if dataset in datasets:
                found.setdefault(dataset, set()).add(path)
    return {dataset: sorted(paths) for dataset, paths in sorted(found.items())}


def expand_blocks(statements: list[ParsedStatement]) -> Iterator[ParsedStatement]:
    """``CREATE PROCEDURE ... BEGIN s1; s2; END`` parsed whole: yield s1 and s2."""
    for statement in statements:
        body = statement.expression
        if isinstance(body, exp.Create) and isinstance(body.expression, exp.Block):
            body = body.expression
        if not isinstance(body, exp.Block):
            yield statement
            continue
        for inner in body.expressions:
            if inner is None:
                continue
            yield ParsedStatement(
                statement.index,
                inner,
                statement.tokens,
                statement.source,
                statement.dialect,
                statement.line,
                statement.column,
            )


def merge_routines(facts: list[tuple[int, StatementFacts]]) -> list[StatementFacts]:
    """The statements of one procedure body act as one statement (as sqllineage has it)."""
    merged: list[StatementFacts] = []
    last_unit: int | None = None
    for unit, found in facts:
        if unit != last_unit or not merged:
            merged.append(found)
        else:
            into = merged[-1]
            if into.kind != "routine":
                into = StatementFacts(
                    "routine", list(into.reads), list(into.writes), flows=list(into.flows)
                )
                merged[-1] = into
            into.reads.extend(r for r in found.reads if r not in into.reads)
            into.writes.extend(w for w in found.writes if w not in into.writes)
            into.flows.extend(found.flows)
        last_unit = unit
    return merged


def normalize_names(expression: exp.Expr) -> exp.Expr:
    """Lower-case identifiers (paths excepted) so that ``Tab.Col`` meets ``tab.col``."""
    for ident in expression.find_all(exp.Identifier):
        name = ident.this
        if isinstance(name, str) and not name.islower() and "/" not in name:
            ident.set("this", name.lower())
    return expression


def _analyze(statement: ParsedStatement, catalog: Catalog, lateral: bool) -> StatementFacts:
    ctx = Context(
        catalog=catalog,
        source=statement.source,
        dialect=statement.dialect,
        lateral_aliases=lateral,
    )
    facts = analyze(normalize_names(statement.expression), ctx)
    for table in facts.drops:
        catalog.forget(table)
    for old, new in facts.renames:
        columns = catalog.columns(old)
        catalog.forget(old)
        if columns is not None:
            catalog.define(new, columns)
    return facts


def _problem(statement: ParsedStatement, error: Exception) -> ParseProblem:
    message = f"Cannot trace lineage: {type(error).__name__}: {error}"
    return ParseProblem(statement.index, statement.line, statement.column, message)


def make_catalog(schema: Mapping[str, Any], default_schema: str | None = None) -> Catalog:
    """A schema flattened once, for ``parse_lineage(..., catalog=)`` over many statements."""
    return Catalog(schema, default_schema)
