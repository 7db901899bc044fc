"""Columns that only condition a query's result: WHERE, JOIN ON/USING, GROUP BY, HAVING, QUALIFY.

A derived table's or CTE's conditions condition the query that reads it, so they are
collected through the scopes a query selects from. Every origin comes back as ``filter``.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from sounding.lineage.resolve import FILTER, Origin, Origins, QueryResolver

_CLAUSES = ("where", "group", "having", "qualify")


class ConditionCollector:
    def __init__(self, resolver: QueryResolver) -> None:
        self.resolver = resolver
        self._memo: dict[int, Origins] = {}

    def origins(self, scope: Scope) -> Origins:
        key = id(scope)
        if key not in self._memo:
            self._memo[key] = frozenset()  # recursive CTEs
            self._memo[key] = self._compute(scope)
        return self._memo[key]

    def _compute(self, scope: Scope) -> Origins:
        found: set[Origin] = set()
        for child in scope.set_operation_scopes:
            found |= self.origins(child)
        node = scope.expression
        if isinstance(node, exp.Select):
            aliases = {o.name: o.origins for o in self.resolver.outputs(scope)}
            for clause in _condition_nodes(node):
                if isinstance(clause, exp.Identifier):  # JOIN ... USING (col)
                    found |= self.resolver.unqualified(scope, clause.name.lower())
                else:
                    found |= self.resolver.expression_origins(clause, scope, aliases)
            for _, source in self.resolver.sources(scope)[0]:
                if isinstance(source, Scope):
                    found |= self.origins(source)
        for child in scope.subquery_scopes:
            if _in_condition(child.expression, node):
                found |= self.origins(child)
        return frozenset(origin.through(FILTER) for origin in found)


def _condition_nodes(select: exp.Select) -> list[exp.Expr]:
    nodes = [select.args[key] for key in _CLAUSES if select.args.get(key)]
    for join in _joins(select):
        if join.args.get("on"):
            nodes.append(join.args["on"])
        nodes.extend(join.args.get("using") or [])
    return nodes


def _joins(select: exp.Select) -> list[exp.Join]:
    """The joins of a SELECT, also those nested in its FROM: ``FROM (a JOIN b ON ...)``."""
    found: list[exp.Join] = []
    from_ = select.args.get("from_")
    stack: list[exp.Expr] = list(select.args.get("joins") or [])
    if from_ is not None:
        stack.append(from_.this)
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Join):
            found.append(node)
            node = node.this
        if isinstance(node, (exp.Table, exp.Subquery)):
            stack.extend(node.args.get("joins") or [])
            if isinstance(node, exp.Subquery) and not isinstance(node.this, exp.UNWRAPPED_QUERIES):
                stack.append(node.this)
    return found


def _in_condition(node: exp.Expr, root: exp.Expr) -> bool:
    """Whether ``node`` (a subquery) sits in a condition clause of ``root``."""
    walk: exp.Expr | None = node.parent
    while walk is not None and walk is not root:
        if walk.arg_key in _CLAUSES or walk.arg_key in ("on", "using"):
            return True
        walk = walk.parent
    return False
