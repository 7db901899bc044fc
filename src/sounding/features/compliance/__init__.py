"""Compliance: frameworks (GDPR, CCPA, HIPAA, PCI DSS) evaluated over the catalog, the findings
they raise with their history, reports, and the ``compliance`` step type.

``records`` (what the service returns), ``service`` (evaluate, the step's planner),
``findings`` (list, acknowledge, resolve, report), ``repo`` and ``tables`` with
``migrations/``, ``checks`` (pure control checks), ``frameworks`` (the framework files in
``frameworks/``), ``report`` (the printable report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sounding.services.features import Feature

if TYPE_CHECKING:
    from sounding.orchestration.steps import StepTypeRegistry
    from sounding.services.context import Context


def _bind_step_types(ctx: Context, registry: StepTypeRegistry) -> None:
    from sounding.features.compliance import service

    registry.register("compliance", lambda s: service.plan_step(ctx, s), replace=True)


FEATURE = Feature("compliance", bind_step_types=_bind_step_types)
