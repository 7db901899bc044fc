"""Compliance: frameworks (GDPR, CCPA, HIPAA, PCI DSS) evaluated over the catalog, the findings
they raise with their history, reports, and the ``compliance`` step type.

``records`` (what the service returns), ``service`` (evaluate, the step's planner),
``findings`` (list, acknowledge, resolve, report), ``repo`` and ``tables`` with
``migrations/``, ``checks`` (pure control checks), ``frameworks`` (the framework files in
``frameworks/``), ``report`` (the printable report), ``analytics`` (what it adds to the
core's combined views: the compliance trend, metrics, the home page's to-do).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sounding.services.features import AnalyticsWindow, Feature

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from sounding.orchestration.steps import StepContext, StepPlan, StepTypeRegistry
    from sounding.services.context import Context


def _bind_step_types(ctx: Context, registry: StepTypeRegistry) -> None:
    # the service (frameworks, checks) loads when a compliance step is first planned, not
    # when an engine starts: a scan workflow never imports it
    def plan(step: StepContext) -> StepPlan:
        from sounding.features.compliance import service

        return service.plan_step(ctx, step)

    registry.register("compliance", plan, replace=True)


def _analytics(conn: Connection, window: AnalyticsWindow) -> Mapping[str, object]:
    from sounding.features.compliance import analytics

    return analytics.sections(conn, window)


def _metrics(ctx: Context, conn: Connection) -> Mapping[str, object]:
    from sounding.features.compliance import analytics

    return analytics.metrics(ctx, conn)


def _todo(conn: Connection) -> Mapping[str, int]:
    from sounding.features.compliance import analytics

    return analytics.todo(conn)


FEATURE = Feature(
    "compliance",
    bind_step_types=_bind_step_types,
    analytics=_analytics,
    metrics=_metrics,
    todo=_todo,
)
