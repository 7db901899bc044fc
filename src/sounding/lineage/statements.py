"""What one statement reads, writes, drops and renames, and the column flows it makes.

One small handler per statement type. Statements that change data in place (UPDATE, MERGE)
are rewritten into the SELECT they amount to, so that one resolver serves all of them.
Statements without lineage (DELETE, TRUNCATE, SHOW, SET, CACHE ...) give empty facts.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.scope import build_scope

from sounding.lineage.catalog import Catalog
from sounding.lineage.commands import command_facts, moving_function_facts
from sounding.lineage.conditions import ConditionCollector
from sounding.lineage.datasets import function_tables, stage_of
from sounding.lineage.facts import Flow, StatementFacts
from sounding.lineage.origins import COPY, STAR, Origins, Output
from sounding.lineage.resolve import QueryResolver

_TABLE_KINDS = frozenset({"TABLE", "VIEW"})


@dataclass
class Context:
    """What the handlers need: the catalog and how to make a resolver for this statement."""

    catalog: Catalog
    source: str
    dialect: Dialect
    lateral_aliases: bool
    excluded: set[int] = field(default_factory=set)  # ids of table nodes that are not reads

    def resolver(self) -> QueryResolver:
        return QueryResolver(self.catalog, self.source, self.dialect, self.lateral_aliases)

    def name(self, table: exp.Table) -> str:
        return self.catalog.table_name(table)


def analyze(expression: exp.Expr, ctx: Context) -> StatementFacts:
    while isinstance(expression, exp.Subquery) and not expression.alias:
        expression = expression.this  # (SELECT ...) as a statement
    handler = _HANDLERS.get(type(expression))
    if handler is None:
        if isinstance(expression, (exp.Select, exp.SetOperation)):
            handler = _query
        else:
            return StatementFacts(type(expression).__name__.lower())
    return handler(expression, ctx)


# -- handlers --------------------------------------------------------------------------------


def _query(query: exp.Expr, ctx: Context) -> StatementFacts:
    facts = StatementFacts("select")
    into = query.find(exp.Into)
    if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):
        into_table = into.this
        into.pop()
        facts.kind = "select_into"
        facts.writes.append(ctx.name(into_table))
        _add_flow(facts, ctx, query, ctx.name(into_table), None, None)
    elif isinstance(query, exp.Select) and not query.args.get("from_"):
        moved = moving_function_facts(query, ctx.catalog)
        if moved is not None:
            return moved
    facts.reads = _reads(query, ctx, facts)
    return facts


def _insert(insert: exp.Insert, ctx: Context) -> StatementFacts:
    facts = StatementFacts("insert")
    this = insert.this
    query = _attach_with(insert.expression, insert)
    if isinstance(this, exp.Directory):
        facts.writes.append(this.this.name)
        facts.reads = _reads(insert, ctx, facts)
        return facts
    explicit: list[str] | None = None
    if isinstance(this, exp.Schema):
        explicit = [e.name.lower() for e in this.expressions]
        this = this.this
    if not isinstance(this, exp.Table):
        return facts
    ctx.excluded.add(id(this))
    target = ctx.name(this)
    facts.writes.append(target)
    known = ctx.catalog.columns(target)
    if known is not None:
        static = _static_partition_columns(this) | _static_partition_columns(insert)
        known = [c for c in known if c not in static]
    if query is not None:
        _add_flow(facts, ctx, query, target, explicit, known)
    facts.reads = _reads(insert, ctx, facts)
    return facts


def _create(create: exp.Create, ctx: Context) -> StatementFacts:
    kind = str(create.args.get("kind") or "").upper()
    facts = StatementFacts(f"create_{kind.lower()}")
    this = create.this
    explicit: list[str] | None = None
    if isinstance(this, exp.Schema):
        explicit = [e.name.lower() for e in this.expressions if e.name]
        this = this.this
    if kind not in _TABLE_KINDS or not isinstance(this, exp.Table):
        return facts
    ctx.excluded.add(id(this))
    target = ctx.name(this)
    facts.writes.append(target)
    query = create.expression
    flow = _add_flow(facts, ctx, query, target, explicit, None) if query is not None else None
    defined = explicit or ([c for c, _ in flow.columns] if flow else None)
    if defined and STAR not in defined:
        ctx.catalog.define(target, defined)
    # what the new table is made from: its query, CREATE ... LIKE t, CREATE ... CLONE t (a
    # foreign key's REFERENCES t is a constraint, not lineage)
    made_from = [query, create.args.get("clone"), *create.find_all(exp.LikeProperty)]
    facts.reads = list(
        dict.fromkeys(r for node in made_from if node is not None for r in _reads(node, ctx, facts))
    )
    return facts


def _update(update: exp.Update, ctx: Context) -> StatementFacts:
    facts = StatementFacts("update")
    target_node = _update_target(update)
    if target_node is None:
        return facts
    ctx.excluded.update({id(update.this), id(target_node)})
    target = ctx.name(target_node)
    facts.writes.append(target)
    pairs = [(eq.this, eq.expression) for eq in update.expressions if isinstance(eq, exp.EQ)]
    select = _assignments_select(pairs)
    from_ = update.args.get("from_")
    if from_ is not None and target_node is not update.this:
        select.set("from_", from_.copy())
        for join in update.this.args.get("joins") or []:
            select.append("joins", join.copy())
    else:
        select.set("from_", exp.From(this=update.this.copy()))
        if from_ is not None:
            select.append("joins", exp.Join(this=from_.this.copy()))
    for key in ("where", "with_"):
        if update.args.get(key):
            select.set(key, update.args[key].copy())
    _add_flow(facts, ctx, select, target, [_column_name(lhs) for lhs, _ in pairs], None)
    facts.reads = _reads(update, ctx, facts)
    return facts


def _merge(merge: exp.Merge, ctx: Context) -> StatementFacts:
    facts = StatementFacts("merge")
    target_node, using = merge.this, merge.args.get("using")
    if not isinstance(target_node, exp.Table) or using is None:
        return facts
    ctx.excluded.add(id(target_node))
    target = ctx.name(target_node)
    facts.writes.append(target)
    whens = merge.args.get("whens")
    for when in whens.expressions if whens else []:
        then = when.args.get("then")
        if _copies_whole_row(then):  # UPDATE SET * / INSERT * / INSERT ROW: by column name
            select, explicit = exp.Select(), None
            select.append("expressions", exp.Column(this=exp.Star(), table=_alias_of(using)))
        else:
            pairs = _when_assignments(then, target, ctx)
            if not pairs:
                continue
            select, explicit = _assignments_select(pairs), [_column_name(lhs) for lhs, _ in pairs]
        select.set("from_", exp.From(this=using.copy()))
        on = merge.args.get("on")
        select.append("joins", exp.Join(this=target_node.copy(), on=on.copy() if on else None))
        if when.args.get("condition"):
            select.set("where", exp.Where(this=when.args["condition"].copy()))
        if merge.args.get("with_"):
            select.set("with_", merge.args["with_"].copy())
        _add_flow(facts, ctx, select, target, explicit, None)
    facts.reads = _reads(merge, ctx, facts)
    return facts


def _copy(copy: exp.Copy, ctx: Context) -> StatementFacts:
    """``COPY t FROM 'path'`` / ``COPY t TO 'path'`` / ``COPY (SELECT ...) TO 'path'``, and
    Snowflake's ``COPY INTO t FROM @stage/path`` / ``COPY INTO @stage FROM t`` /
    ``COPY INTO t (a, b) FROM (SELECT $1, $2 FROM @stage/path)``."""
    facts = StatementFacts("copy")
    this = copy.this.this if isinstance(copy.this, exp.Schema) else copy.this
    files = copy.args.get("files") or []
    this_names = _copy_names(this, ctx, facts)
    file_names = [n for f in files for n in _copy_names(f, ctx, facts)]
    if copy.args.get("kind"):  # COPY x FROM y
        facts.writes, facts.reads = this_names, file_names
    else:  # COPY x TO y
        facts.reads, facts.writes = this_names, file_names
    for table in this, *files:
        if isinstance(table, exp.Table):
            ctx.excluded.add(id(table))
    facts.reads.extend(r for r in _reads(copy, ctx, facts) if r not in facts.reads)
    queries = [f for f in files if isinstance(f, (exp.Subquery, exp.Query))]
    if copy.args.get("kind") and isinstance(this, exp.Table) and len(queries) == 1:
        explicit = (
            [e.name.lower() for e in copy.this.expressions]
            if isinstance(copy.this, exp.Schema)
            else None
        )
        target = facts.writes[0] if facts.writes else ctx.name(this)
        _add_flow(facts, ctx, queries[0], target, explicit, ctx.catalog.columns(target))
    return facts


def _multitable_insert(insert: exp.MultitableInserts, ctx: Context) -> StatementFacts:
    """``INSERT ALL|FIRST [WHEN c THEN] INTO t1 VALUES (...) INTO t2 ... SELECT ...``."""
    facts = StatementFacts("insert")
    source = insert.args.get("source")
    for branch in insert.expressions:
        into = branch.this
        if not isinstance(into, exp.Insert):
            continue
        this, explicit = into.this, None
        if isinstance(this, exp.Schema):
            explicit = [e.name.lower() for e in this.expressions]
            this = this.this
        if not isinstance(this, exp.Table) or not isinstance(source, exp.Query):
            continue
        ctx.excluded.add(id(this))
        target = ctx.name(this)
        facts.writes.append(target)
        select = exp.Select()
        values = into.expression
        rows = values.expressions if isinstance(values, exp.Values) else []
        for expression in rows[0].expressions if rows else [exp.Star()]:
            select.append("expressions", expression.copy())
        select.set("from_", exp.From(this=source.copy().subquery("src")))
        if branch.args.get("expression"):
            select.set("where", exp.Where(this=branch.args["expression"].copy()))
        known = ctx.catalog.columns(target)
        _add_flow(facts, ctx, select, target, explicit, known)
    facts.reads = _reads(insert, ctx, facts)
    return facts


def _alter(alter: exp.Alter, ctx: Context) -> StatementFacts:
    facts = StatementFacts("alter")
    if not isinstance(alter.this, exp.Table):
        return facts
    name = ctx.name(alter.this)
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
            new = action.this
            if not new.db and alter.this.db:
                new = exp.Table(this=new.this, db=alter.this.args.get("db"))
            facts.renames.append((name, ctx.name(new)))
        elif isinstance(action, exp.SwapTable) and isinstance(action.this, exp.Table):
            facts.reads.append(ctx.name(action.this))
            facts.writes.append(name)
    return facts


def _drop(drop: exp.Drop, ctx: Context) -> StatementFacts:
    facts = StatementFacts("drop")
    if str(drop.args.get("kind") or "").upper() in _TABLE_KINDS:
        tables = drop.args.get("tables") or [drop.this]
        facts.drops = [ctx.name(t) for t in tables if isinstance(t, exp.Table)]
    return facts


def _command(command: exp.Command, ctx: Context) -> StatementFacts:
    return command_facts(command, ctx.catalog, ctx.dialect, lambda e: analyze(e, ctx))


_HANDLERS: dict[type, Callable[[exp.Expr, Context], StatementFacts]] = {
    exp.Insert: _insert,  # type: ignore[dict-item]
    exp.Create: _create,  # type: ignore[dict-item]
    exp.Update: _update,  # type: ignore[dict-item]
    exp.Merge: _merge,  # type: ignore[dict-item]
    exp.Copy: _copy,  # type: ignore[dict-item]
    exp.MultitableInserts: _multitable_insert,  # type: ignore[dict-item]
    exp.Alter: _alter,  # type: ignore[dict-item]
    exp.Drop: _drop,  # type: ignore[dict-item]
    exp.Command: _command,  # type: ignore[dict-item]
}


# -- helpers ---------------------------------------------------------------------------------


def _add_flow(
    facts: StatementFacts,
    ctx: Context,
    query: exp.Expr,
    target: str,
    explicit: list[str] | None,
    known: list[str] | None,
) -> Flow | None:
    """Resolve ``query`` and add the flow of its outputs into ``target``."""
    while isinstance(query, exp.Subquery) and not query.alias:
        query = query.this
    if not isinstance(query, (exp.Select, exp.SetOperation)):
        return None
    scope = build_scope(query)
    if scope is None:
        return None
    resolver = ctx.resolver()
    outputs = resolver.outputs(scope)
    filters = ConditionCollector(resolver).origins(scope)
    flow = Flow(target, map_target_columns(outputs, explicit or known), filters)
    facts.flows.append(flow)
    return flow


def map_target_columns(outputs: list[Output], names: list[str] | None) -> list[tuple[str, Origins]]:
    """Name each output by position in the target's column list, else by its own name."""
    if not names or any(o.is_open_star for o in outputs):
        return [(o.name, o.origins) for o in _drop_covered_by_stars(outputs)]
    return [(names[i] if i < len(names) else o.name, o.origins) for i, o in enumerate(outputs)]


def _drop_covered_by_stars(outputs: list[Output]) -> list[Output]:
    """``SELECT t.a, t.* FROM t`` of unknown shape: ``t.* -> *`` already says ``t.a -> a``."""
    stars = {o.table for out in outputs if out.is_open_star for o in out.origins if o.kind == COPY}
    if not stars:
        return outputs
    return [
        out
        for out in outputs
        if out.is_open_star
        or not out.origins
        or not all(
            o.table in stars and o.column == out.name and o.kind == COPY for o in out.origins
        )
    ]


def _reads(statement: exp.Expr, ctx: Context, facts: StatementFacts | None = None) -> list[str]:
    """The datasets ``statement`` reads: tables and views, stages (their paths go to
    ``facts.locations``) and the user table functions it calls."""
    found: dict[str, None] = {}
    for table in statement.find_all(exp.Table):
        if id(table) in ctx.excluded:
            continue
        stage = stage_of(table)
        if stage is not None:
            name = ctx.name(stage.table())
            found[name] = None
            if facts is not None and stage.path:
                facts.locations.append((name, stage.path))
            continue
        if not isinstance(table.this, exp.Identifier) or not table.name:
            continue
        if isinstance(table.parent, (exp.JoinHint, exp.Into)) or _is_cte_reference(table):
            continue
        if table.find_ancestor(exp.CopyParameter) is not None:  # FILE_FORMAT = (FORMAT_NAME = f)
            continue
        found[ctx.name(table)] = None
    for node, function in function_tables(statement):
        if id(node) not in ctx.excluded:
            found[ctx.name(function)] = None
    return list(found)


def _is_cte_reference(table: exp.Table) -> bool:
    if table.db:
        return False
    name = table.name.lower()
    node: exp.Expr | None = table.parent
    while node is not None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With) and any(
            cte.alias.lower() == name for cte in with_.expressions
        ):
            return True
        node = node.parent
    return False


def _attach_with(query: exp.Expr | None, statement: exp.Expr) -> exp.Expr | None:
    """``WITH c AS (...) INSERT ... SELECT`` : give the CTEs to the SELECT."""
    with_ = statement.args.get("with_")
    if with_ is None or not isinstance(query, (exp.Select, exp.SetOperation)):
        return query
    own = query.args.get("with_")
    if own is None:
        query.set("with_", with_.copy())
    else:
        own.set("expressions", [c.copy() for c in with_.expressions] + list(own.expressions))
    return query


def _static_partition_columns(node: exp.Expr) -> set[str]:
    partition = node.args.get("partition")
    if not isinstance(partition, exp.Partition):
        return set()
    return {e.this.name.lower() for e in partition.expressions if isinstance(e, exp.EQ)}


def _assignments_select(pairs: list[tuple[exp.Expr, exp.Expr]]) -> exp.Select:
    select = exp.Select()
    for lhs, rhs in pairs:
        select.append("expressions", exp.alias_(rhs.copy(), _column_name(lhs)))
    return select


def _column_name(node: exp.Expr) -> str:
    return node.name.lower() if node.name else node.sql().lower()


def _update_target(update: exp.Update) -> exp.Table | None:
    """The table an UPDATE writes: ``UPDATE alias SET ... FROM t AS alias`` writes ``t``."""
    this = update.this
    if not isinstance(this, exp.Table):
        return None
    from_ = update.args.get("from_")
    if from_ is not None and not this.db:
        for table in from_.find_all(exp.Table):
            if table.alias and table.alias.lower() == this.name.lower():
                return t.cast(exp.Table, table)
    return this


def _copies_whole_row(then: exp.Expr | None) -> bool:
    if isinstance(then, exp.Update):
        return any(isinstance(e, exp.Star) for e in then.expressions)
    if isinstance(then, exp.Insert):
        return isinstance(then.this, exp.Star) or (
            isinstance(then.this, exp.Var) and then.this.name.upper() == "ROW"
        )
    return False


def _alias_of(node: exp.Expr) -> exp.Identifier | None:
    name = node.alias_or_name
    return exp.to_identifier(name) if name else None


def _when_assignments(
    then: exp.Expr | None, target: str, ctx: Context
) -> list[tuple[exp.Expr, exp.Expr]]:
    if isinstance(then, exp.Update):
        return [(eq.this, eq.expression) for eq in then.expressions if isinstance(eq, exp.EQ)]
    if not isinstance(then, exp.Insert) or not isinstance(then.expression, exp.Tuple):
        return []
    values = list(then.expression.expressions)
    columns: list[exp.Expr] | None = (
        list(then.this.expressions) if isinstance(then.this, (exp.Tuple, exp.Schema)) else None
    )
    lhs: list[exp.Expr] = list(columns or [])
    if not lhs:  # INSERT VALUES (...) without a column list: the target's columns in order
        lhs.extend(exp.column(c) for c in (ctx.catalog.columns(target) or [])[: len(values)])
    return list(zip(lhs, values, strict=False))


def _copy_names(node: exp.Expr | None, ctx: Context, facts: StatementFacts) -> list[str]:
    stage = stage_of(node)
    if stage is not None:
        name = ctx.name(stage.table())
        if stage.path:
            facts.locations.append((name, stage.path))
        return [name]
    if isinstance(node, exp.Literal):
        return [node.name]
    if isinstance(node, exp.Table):
        if isinstance(node.this, exp.Literal):
            return [node.this.name]
        return [ctx.name(node)]
    return []
