"""The columns a FROM item has after PIVOT / UNPIVOT.

``PIVOT(SUM(v) FOR k IN ('a', 'b'))`` turns the rows of ``k`` into columns ``a`` and ``b``,
each an aggregate of ``v`` conditioned by ``k``; the other columns pass through.
``UNPIVOT(v FOR k IN (a, b))`` turns columns ``a`` and ``b`` into rows: ``v`` carries their
values, ``k`` only their names.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from sounding.domain.lineage import TransformKind
from sounding.lineage.origins import AGGREGATE, COPY, TRANSFORM, Origins, Output


def apply_pivots(outputs: list[Output], pivots: Iterable[exp.Pivot]) -> list[Output]:
    for pivot in pivots:
        if any(o.is_open_star for o in outputs):
            return outputs  # the columns before the pivot are unknown, so are those after
        outputs = _unpivot(outputs, pivot) if pivot.unpivot else _pivot(outputs, pivot)
    return outputs


def _origins(by_name: dict[str, Origins], names: Iterable[str], kind: TransformKind) -> Origins:
    return frozenset(
        origin.through(kind) for name in names for origin in by_name.get(name, frozenset())
    )


def _pivot(outputs: list[Output], pivot: exp.Pivot) -> list[Output]:
    by_name = {o.name: o.origins for o in outputs}
    values = {c.name.lower() for agg in pivot.expressions for c in agg.find_all(exp.Column)}
    keys = {
        c.name.lower()
        for field in pivot.fields
        if isinstance(field, exp.In)
        for c in field.this.find_all(exp.Column)
    }
    generated = _origins(by_name, values, AGGREGATE) | _origins(by_name, keys, TRANSFORM)
    mapping = pivot.output_columns([o.name for o in outputs])
    return [
        Output(name.lower(), by_name[pre] if pre in by_name and pre == name else generated)
        for name, pre in mapping.items()
    ]


def _unpivot(outputs: list[Output], pivot: exp.Pivot) -> list[Output]:
    by_name = {o.name: o.origins for o in outputs}
    unpivoted = {
        c.name.lower()
        for field in pivot.fields
        if isinstance(field, exp.In)
        for e in field.expressions
        for c in e.find_all(exp.Column)
    }
    value_names = {
        ident.name.lower()
        for e in pivot.expressions
        for ident in (e.expressions if isinstance(e, exp.Tuple) else [e])
    }
    values = _origins(by_name, unpivoted, COPY)
    result = []
    for name, pre in pivot.output_columns([o.name for o in outputs]).items():
        if pre in by_name and pre not in unpivoted:
            result.append(Output(name.lower(), by_name[pre]))
        else:
            result.append(
                Output(name.lower(), values if name.lower() in value_names else frozenset())
            )
    return result
