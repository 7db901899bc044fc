"""Data quality: rules, runs, results, scores, reports and the ``quality`` step type.

``records`` (what the service returns), ``service`` (rules: create, edit, rule files,
suggestions), ``runs`` (run rules against a source), ``scores`` and ``reports``, ``repo`` and
``tables`` (its storage) with ``migrations/``, ``checks`` (rules compiled to SQL), ``reveal``
and ``suggest`` (pure), ``steps`` (the workflow step type).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sounding.services.features import Feature

if TYPE_CHECKING:
    from sounding.orchestration.steps import StepTypeRegistry
    from sounding.services.context import Context


def _bind_step_types(ctx: Context, registry: StepTypeRegistry) -> None:
    from sounding.features.quality.steps import bind_quality

    bind_quality(ctx, registry)


FEATURE = Feature("quality", bind_step_types=_bind_step_types)
