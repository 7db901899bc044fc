"""Semantic checks of a workflow: ids, dependencies, cycles, step types, named callables.

Each problem is ``{"loc": "steps[2].depends_on[0]", "msg": ...}``; ``Problems.raise_if_any``
turns the list into one ``ValidationFailedError`` (HTTP 422) with ``details["errors"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from sounding.errors import ValidationFailedError
from sounding.orchestration.dag import find_cycle

if TYPE_CHECKING:
    from sounding.orchestration.callables import CallablePolicy
    from sounding.orchestration.spec import WorkflowSpec

logger = logging.getLogger(__name__)


class Problems:
    """An ordered list of ``{"loc", "msg"}`` problems."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, loc: str, msg: str) -> None:
        self.errors.append({"loc": loc, "msg": msg})

    def unknown_fields(self, loc: str, doc: Mapping[str, Any], known: Collection[str]) -> None:
        for key in doc:
            if key not in known:
                where = f"{loc}.{key}" if loc else str(key)
                self.add(where, f"unknown field; expected one of {sorted(known)}")

    def raise_if_any(self, message: str) -> None:
        if self.errors:
            first = self.errors[0]
            raise ValidationFailedError(
                f"{message}: {first['loc'] or 'document'}: {first['msg']}"
                + (f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""),
                errors=list(self.errors),
            )


def check_graph(spec: WorkflowSpec, p: Problems, *, step_types: Collection[str]) -> None:
    """Duplicate ids, unknown step types, unknown dependencies and cycles, with their paths."""
    index: dict[str, int] = {}
    for i, step in enumerate(spec.steps):
        if step.id in index:
            p.add(
                f"steps[{i}].id",
                f"duplicate step id {step.id!r} (first at steps[{index[step.id]}])",
            )
        else:
            index[step.id] = i
        if step.type != "?" and step.type not in step_types:
            p.add(
                f"steps[{i}].type", f"unknown step type {step.type!r}; known: {sorted(step_types)}"
            )
    for i, step in enumerate(spec.steps):
        for j, dep in enumerate(step.depends_on):
            if dep not in index:
                p.add(f"steps[{i}].depends_on[{j}]", f"unknown step {dep!r}")
            elif dep == step.id:
                p.add(f"steps[{i}].depends_on[{j}]", f"step {dep!r} depends on itself")
    graph = {
        s.id: [d for d in s.depends_on if d in index and d != s.id]
        for s in spec.steps
        if index.get(s.id) is not None
    }
    cycle = find_cycle(graph)
    if cycle:
        # cycle is [a, b, ..., a] where a depends on b; report it at a's dependency on b
        i = index[cycle[0]]
        j = spec.steps[i].depends_on.index(cycle[1])
        p.add(
            f"steps[{i}].depends_on[{j}]",
            f"dependency cycle: {' -> '.join(cycle)} (each step depends on the next)",
        )


CALLABLE_KEYS = ("callable", "plan")  # config keys of a ``custom`` step naming Python code


def check_callables(spec: WorkflowSpec, p: Problems, policy: CallablePolicy) -> None:
    """Every Python callable the workflow names is on the allow-list (nothing is imported)."""
    for i, step in enumerate(spec.steps):
        if step.type == "custom":
            for key in CALLABLE_KEYS:
                value = step.config.get(key)
                if value is None:
                    continue
                if not isinstance(value, str):
                    p.add(f"steps[{i}].config.{key}", "must be a module:function name")
                elif (why := policy.problem(value)) is not None:
                    p.add(f"steps[{i}].config.{key}", why)
        for j, cond in enumerate(step.skip_if):
            if cond.callable is not None and (why := policy.problem(cond.callable)) is not None:
                p.add(f"steps[{i}].skip_if[{j}].callable", why)
