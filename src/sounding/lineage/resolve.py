"""Resolve the output columns of a query to the base-table columns they come from.

Works on sqlglot's scope tree (``optimizer.scope``): every SELECT, set operation, CTE, derived
table and table function is a scope whose outputs are computed once, from the outputs of the
scopes it selects from. A base table is the end of the walk; its columns come from the catalog
when known. Where the schema is unknown the walk guesses the way SQL would (an unqualified
column over one table belongs to it) and lowers the confidence; where it cannot tell, the
source table is ``None``. Unexpanded ``*`` stays a ``*`` column.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.scope import Scope

from sounding.domain.lineage import TransformKind
from sounding.lineage.catalog import Catalog
from sounding.lineage.datasets import function_table, stage_of
from sounding.lineage.origins import (
    AGGREGATE,
    ASSUMED,
    COPY,
    FILTER,
    NONE,
    PICKED,
    STAR,
    TRANSFORM,
    UNRESOLVED,
    UNVERIFIED,
    WINDOW,
    Origin,
    Origins,
    Output,
    through,
)
from sounding.lineage.pivots import apply_pivots

__all__ = ["FILTER", "STAR", "Origin", "Origins", "Output", "QueryResolver"]

Source = exp.Table | Scope


class QueryResolver:
    """Outputs and filter columns of the scopes of one statement."""

    def __init__(
        self, catalog: Catalog, source: str, dialect: Dialect, lateral_aliases: bool
    ) -> None:
        self.catalog = catalog
        self.source = source
        self.dialect = dialect
        self.lateral_aliases = lateral_aliases
        self._outputs: dict[int, list[Output]] = {}
        self._sources: dict[int, tuple[list[tuple[str, Source]], dict[str, Source]]] = {}
        self._pivots: dict[int, list[exp.Pivot]] = {}  # derived tables pivoted in their FROM

    # -- outputs ---------------------------------------------------------------------------

    def outputs(self, scope: Scope) -> list[Output]:
        key = id(scope)
        if key not in self._outputs:
            self._outputs[key] = []  # a cycle (recursive CTE) sees no columns, not a loop
            outputs = self._compute_outputs(scope)
            if scope.outer_columns:
                outputs = _rename_outputs(outputs, [c.lower() for c in scope.outer_columns])
            self._outputs[key] = outputs
        return self._outputs[key]

    def _compute_outputs(self, scope: Scope) -> list[Output]:
        node = scope.expression
        if isinstance(node, exp.Select):
            return self._select_outputs(scope, node)
        if isinstance(node, exp.SetOperation) and len(scope.set_operation_scopes) == 2:
            left, right = (self.outputs(s) for s in scope.set_operation_scopes)
            return merge_set_operation(left, right, bool(node.args.get("by_name")))
        if scope.is_udtf:
            return self._udtf_outputs(scope, node)
        return []

    def _select_outputs(self, scope: Scope, select: exp.Select) -> list[Output]:
        outputs: list[Output] = []
        aliases: dict[str, Origins] = {}
        for projection in select.expressions:
            if _is_star(projection):
                outputs.extend(self._expand_star(scope, projection))
                continue
            name = self.output_name(projection)
            origins = self.expression_origins(projection.unalias(), scope, aliases)
            outputs.append(Output(name, origins))
            if isinstance(projection, exp.Alias):
                aliases[name] = origins
        return outputs

    def _udtf_outputs(self, scope: Scope, node: exp.Expr) -> list[Output]:
        if scope.subquery_scopes:  # LATERAL (SELECT ...)
            return self.outputs(scope.subquery_scopes[-1])
        args = node.this if isinstance(node, exp.Lateral) else node
        origins = through(self._walk(args, scope, {}, COPY), TRANSFORM)
        alias = node.args.get("alias")
        names = [c.name.lower() for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        if not names and isinstance(alias, exp.TableAlias) and alias.name:
            names = [alias.name.lower()]
        return [Output(name, origins) for name in names]

    def output_name(self, projection: exp.Expr) -> str:
        """The column name a projection gets: its alias, column name, or its SQL text."""
        if isinstance(projection, exp.Alias):
            return projection.alias.lower()
        if isinstance(projection, (exp.Column, exp.Dot)):
            return projection.output_name.lower()
        if isinstance(projection, exp.Cast) and self._colon_cast_of_column(projection):
            return str(projection.this.output_name).lower()
        return projection.sql(dialect=self.dialect).lower()

    def _colon_cast_of_column(self, cast: exp.Cast) -> bool:
        """``col::type`` keeps the column's name (``CAST(col AS type)`` is named by its text)."""
        column = cast.this
        if not isinstance(column, exp.Column) or not isinstance(column.this, exp.Identifier):
            return False
        end = column.this.meta.get("end")
        if not isinstance(end, int):
            return False
        return self.source[end + 1 :].lstrip().lstrip('"`]').lstrip().startswith("::")

    # -- stars -----------------------------------------------------------------------------

    def _expand_star(self, scope: Scope, projection: exp.Expr) -> list[Output]:
        if isinstance(projection, exp.Column) and projection.table:
            found = self._find_source(scope, projection)
            chosen = [found] if found is not None else []
        else:
            chosen = [source for _, source in self.sources(scope)[0]]
        outputs = [o for source in chosen for o in self.source_outputs(source)]
        star = projection.this if isinstance(projection, exp.Column) else projection
        return self._star_modifiers(scope, star, outputs)

    def _star_modifiers(self, scope: Scope, star: exp.Expr, outputs: list[Output]) -> list[Output]:
        """``* EXCEPT (a)``, ``* REPLACE (expr AS a)``, ``* RENAME (a AS b)``."""
        excluded = {c.name for c in star.args.get("except_") or []}
        replaced = {
            alias.alias: self.expression_origins(alias.this, scope, {})
            for alias in star.args.get("replace") or []
            if isinstance(alias, exp.Alias)
        }
        renamed = {
            alias.this.name: alias.alias
            for alias in star.args.get("rename") or []
            if isinstance(alias, exp.Alias)
        }
        return [
            Output(renamed.get(o.name, o.name), replaced.get(o.name, o.origins))
            for o in outputs
            if o.name not in excluded
        ]

    def source_outputs(self, source: Source) -> list[Output]:
        """The columns a FROM item offers: a scope's outputs, or a table's known columns."""
        if isinstance(source, Scope):
            return apply_pivots(self.outputs(source), self._pivots.get(id(source), []))
        pivots = source.args.get("pivots") or []
        table = self.dataset_name(source)
        alias = source.args.get("alias")
        named = [c.name.lower() for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        if table is None:  # a system function: f(x) AS t(a, b)
            return apply_pivots([Output(c, NONE) for c in named], pivots)
        columns = self.catalog.columns(table)
        if columns is None and named and not isinstance(source.this, exp.Identifier):
            columns = named  # fn(x) AS t(a, b): the function's columns, named by the alias
        if columns is None:
            return [Output(STAR, frozenset({Origin(table, STAR, COPY, ASSUMED)}))]
        outputs = [Output(c, frozenset({Origin(table, c, COPY, 1.0)})) for c in columns]
        return apply_pivots(outputs, pivots)

    def dataset_name(self, source: exp.Table) -> str | None:
        """The dataset a table reference reads: a table or view, a stage, or a user's table
        function; ``None`` for a system table function."""
        if isinstance(source.this, exp.Identifier):
            return self.catalog.table_name(source) if source.name else None
        stage = stage_of(source)
        if stage is not None:
            return self.catalog.table_name(stage.table())
        function = function_table(source)
        return self.catalog.table_name(function) if function is not None else None

    def star_origins(self, scope: Scope) -> Origins:
        """``COUNT(*)``: every row of every selected table."""
        found: set[Origin] = set()
        for _, source in self.sources(scope)[0]:
            if isinstance(source, Scope):
                found |= self.star_origins(source)
            else:
                found.add(Origin(self.catalog.table_name(source), STAR, COPY, 1.0))
        return frozenset(found)

    # -- expressions -----------------------------------------------------------------------

    def expression_origins(
        self, node: exp.Expr, scope: Scope, aliases: dict[str, Origins]
    ) -> Origins:
        return frozenset(self._walk(node, scope, aliases, COPY))

    def _walk(
        self, node: exp.Expr, scope: Scope, aliases: dict[str, Origins], kind: TransformKind
    ) -> set[Origin]:
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return set(through(self.star_origins(scope), kind))
            return set(through(self.column_origins(node, scope, aliases), kind))
        if isinstance(node, exp.Star):
            return set(through(self.star_origins(scope), kind))
        if (position := _positional(node)) is not None:  # $1: a staged file's first column
            return set(through(self.unqualified(scope, position), kind))
        if isinstance(node, (exp.Query, exp.Subquery)):
            return set(through(self._subquery_origins(node, scope), kind.then(TRANSFORM)))
        if isinstance(node, exp.Window):
            return self._window(node, scope, aliases, kind)
        if isinstance(node, exp.AggFunc):
            inner = AGGREGATE
        elif isinstance(node, (exp.Paren, exp.Alias, exp.Distinct)):
            inner = kind
        else:
            inner = kind.then(TRANSFORM)
        found: set[Origin] = set()
        for child in node.iter_expressions():
            found |= self._walk(child, scope, aliases, kind.then(inner))
        return found

    def _window(
        self, window: exp.Window, scope: Scope, aliases: dict[str, Origins], kind: TransformKind
    ) -> set[Origin]:
        """``f(x) OVER (PARTITION BY a ORDER BY b)``: ``x`` as ``f`` makes it, ``a`` and ``b``
        as window edges (they decide which rows ``f`` sees, not the values it returns)."""
        function = window.this
        found: set[Origin] = set()
        if isinstance(function, _NAVIGATION):  # LAG(x): x's value from another row
            for child in function.iter_expressions():
                found |= self._walk(child, scope, aliases, kind.then(TRANSFORM))
        elif function is not None:
            found = self._walk(function, scope, aliases, kind)
        shaping = kind.then(WINDOW)
        for key in ("partition_by", "order"):
            value = window.args.get(key)
            for child in value if isinstance(value, list) else [value] if value else []:
                found |= self._walk(child, scope, aliases, shaping)
        return found

    def _subquery_origins(self, node: exp.Expr, scope: Scope) -> Origins:
        target = node.unnest() if isinstance(node, exp.Subquery) else node
        for child in scope.subquery_scopes:
            if child.expression is target:
                return frozenset(o for out in self.outputs(child) for o in out.origins)
        return NONE

    # -- columns ---------------------------------------------------------------------------

    def column_origins(
        self, column: exp.Column, scope: Scope, aliases: dict[str, Origins]
    ) -> Origins:
        name = _positional(column.this) or column.name.lower()
        if column.table:
            walk: Scope | None = scope
            while walk is not None:
                source = self._find_source(walk, column)
                if source is not None:
                    return self.source_column(source, name, 1.0)
                walk = walk.parent if _can_see_parent(walk) else None
            return frozenset({Origin(None, name, COPY, UNRESOLVED)})
        if name in aliases and self._alias_reference(scope, name):
            return aliases[name]
        return self.unqualified(scope, name)

    def _alias_reference(self, scope: Scope, name: str) -> bool:
        """Whether ``name`` refers to an alias defined to its left in the SELECT list.

        Where the dialect allows it, unless a table in scope is known to have the column;
        elsewhere only when every table's columns are known and none has it.
        """
        shapes = [self._shape(source) for _, source in self.sources(scope)[0]]
        if any(name in names for names, _ in shapes):
            return False
        return self.lateral_aliases or not any(is_open for _, is_open in shapes)

    def unqualified(self, scope: Scope, name: str) -> Origins:
        selected = [source for _, source in self.sources(scope)[0]]
        parent = scope.parent if _can_see_parent(scope) else None
        if not selected:
            if parent is not None:
                return self.unqualified(parent, name)
            return frozenset({Origin(None, name, COPY, UNRESOLVED)})
        shapes = [(source, self._shape(source)) for source in selected]
        having = [source for source, (names, _) in shapes if name in names]
        if len(having) == 1:  # others of unknown shape could have it too
            others_open = any(is_open for s, (_, is_open) in shapes if s is not having[0])
            return self.source_column(having[0], name, PICKED if others_open else 1.0)
        if len(having) > 1:
            confidence = 1.0 if name in _using_columns(scope) else UNRESOLVED
            return frozenset(o for s in having for o in self.source_column(s, name, confidence))
        open_ = [source for source, (_, is_open) in shapes if is_open]
        if name in _using_columns(scope):  # JOIN ... USING (name): either side's value
            return frozenset(o for s in open_ for o in self.source_column(s, name, ASSUMED))
        if len(open_) == 1:
            confidence = ASSUMED if len(selected) == 1 else PICKED
            return self.source_column(open_[0], name, confidence)
        if parent is not None and self._known_in_sources(parent, name):
            return self.unqualified(parent, name)
        if len(selected) == 1:
            return self.source_column(selected[0], name, UNRESOLVED)
        return frozenset({Origin(None, name, COPY, UNRESOLVED)})

    def _known_in_sources(self, scope: Scope, name: str) -> bool:
        return any(name in self._shape(source)[0] for _, source in self.sources(scope)[0])

    def _shape(self, source: Source) -> tuple[set[str], bool]:
        """Known column names of a FROM item, and whether it may have others (``*``)."""
        outputs = self.source_outputs(source)
        return {o.name for o in outputs if not o.is_open_star}, any(o.is_open_star for o in outputs)

    def source_column(self, source: Source, name: str, confidence: float) -> Origins:
        """Origins of column ``name`` of a FROM item."""
        table = self.dataset_name(source) if isinstance(source, exp.Table) else None
        if table is not None and isinstance(source, exp.Table) and not source.args.get("pivots"):
            columns = self.catalog.columns(table)
            base = 1.0 if columns is not None and name in columns else UNVERIFIED
            return frozenset({Origin(table, name, COPY, min(base, confidence))})
        outputs = self.source_outputs(source)
        for output in outputs:
            if output.name == name:
                return through(output.origins, COPY, confidence)
        found = {
            Origin(o.table, name, o.kind, min(o.confidence, confidence, ASSUMED))
            for output in outputs
            if output.is_open_star
            for o in output.origins
        }
        return frozenset(found)

    # -- sources ---------------------------------------------------------------------------

    def sources(self, scope: Scope) -> tuple[list[tuple[str, Source]], dict[str, Source]]:
        """The FROM items of a scope in order (without SEMI/ANTI join sides), and all by name."""
        key = id(scope)
        if key not in self._sources:
            self._sources[key] = _collect_sources(scope, self._pivots)
        return self._sources[key]

    def _find_source(self, scope: Scope, column: exp.Column) -> Source | None:
        _, by_name = self.sources(scope)
        qualifier = column.table.lower()
        db = column.db.lower()
        source = by_name.get(qualifier)
        if source is not None and (not db or not isinstance(source, exp.Table)):
            return source
        for candidate in by_name.values():  # db.table.col, or the table name behind an alias
            if (
                isinstance(candidate, exp.Table)
                and candidate.name.lower() == qualifier
                and (not db or candidate.db.lower() == db)
            ):
                return candidate
        return source


_NAVIGATION = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)


def _positional(node: exp.Expr) -> str | None:
    """``$1`` (a column of a staged file, by position) as the column name ``$1``."""
    number = node.this if isinstance(node, exp.Parameter) else None
    if isinstance(number, exp.Literal) and not number.is_string and number.name.isdigit():
        return f"${number.name}"
    return None


def _is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    )


def _can_see_parent(scope: Scope) -> bool:
    """Subqueries, table functions and LATERAL items may reference outer columns."""
    return scope.parent is not None and bool(scope.can_be_correlated or scope.is_udtf)


def _using_columns(scope: Scope) -> set[str]:
    node = scope.expression
    return {
        ident.name.lower()
        for join in node.args.get("joins") or []
        for ident in join.args.get("using") or []
    }


def _collect_sources(
    scope: Scope, pivots: dict[int, list[exp.Pivot]]
) -> tuple[list[tuple[str, Source]], dict[str, Source]]:
    children: dict[int, Scope] = {}
    for child in scope.table_scopes:
        children[id(child.expression)] = child
        wrapper = child.expression.parent
        if isinstance(wrapper, exp.Subquery) and wrapper.args.get("pivots"):
            children[id(wrapper)] = child
            pivots[id(child)] = list(wrapper.args["pivots"])
    semi_anti = scope.semi_or_anti_join_tables
    selected: list[tuple[str, Source]] = []
    by_name: dict[str, Source] = {}
    for name, node in scope.references:
        source: Source | None
        if isinstance(node, exp.Table):
            found = scope.sources.get(name)
            source = found if isinstance(found, Scope) else node
        else:
            source = children.get(id(node))
        if source is None:
            continue
        key = name.lower()
        by_name.setdefault(key, source)
        if name not in semi_anti:
            selected.append((key, source))
    for name, found in scope.sources.items():  # CTEs and lateral sources visible by name
        by_name.setdefault(name.lower(), found)
    return selected, by_name


def merge_set_operation(left: list[Output], right: list[Output], by_name: bool) -> list[Output]:
    """Outputs of ``left UNION right``: named by the left side, origins of both."""
    if by_name:
        merged = {o.name: set(o.origins) for o in left}
        for output in right:
            merged.setdefault(output.name, set()).update(output.origins)
        return [Output(name, frozenset(origins)) for name, origins in merged.items()]
    if len(left) != len(right) and any(o.is_open_star for o in left + right):
        return left + [o for o in right if o.is_open_star]
    merged_outputs = [
        Output(lo.name, lo.origins | ro.origins) for lo, ro in zip(left, right, strict=False)
    ]
    return merged_outputs + left[len(right) :] + right[len(left) :]


def _rename_outputs(outputs: list[Output], names: list[str]) -> list[Output]:
    """``(...) AS t(a, b)``: outputs renamed by position; behind an unknown ``*``, each
    name may come from any column of the star's tables."""
    if any(o.is_open_star for o in outputs):
        stars = frozenset(
            origin.through(COPY, ASSUMED) for o in outputs if o.is_open_star for origin in o.origins
        )
        named = {o.name: o.origins for o in outputs if not o.is_open_star}
        return [Output(name, named.get(name, stars)) for name in names]
    return [
        Output(names[i] if i < len(names) else o.name, o.origins) for i, o in enumerate(outputs)
    ]
