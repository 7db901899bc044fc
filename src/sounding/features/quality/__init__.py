"""Data quality: rules, runs, results, scores, reports and the ``quality`` step type.

``records`` (what the service returns), ``service`` (rules: create, edit, rule files,
suggestions), ``runs`` (run rules against a source), ``scores`` and ``reports``, ``repo`` and
``tables`` (its storage) with ``migrations/``, ``checks`` (rules compiled to SQL), ``reveal``
and ``suggest`` (pure), ``steps`` (the workflow step type), ``analytics`` (what it adds to
the core's combined views: coverage, analytics, metrics, the home page's to-do, the rules
change impact lists).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sounding.services.features import AnalyticsWindow, CoverageQuery, Feature, SearchFields

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from sounding.orchestration.steps import StepContext, StepPlan, StepTypeRegistry
    from sounding.services.context import Context


def _bind_step_types(ctx: Context, registry: StepTypeRegistry) -> None:
    # the step's modules (runs, checks, the service) load when a quality step is first
    # planned, not when an engine starts: a scan workflow never imports them
    def plan(step: StepContext) -> StepPlan:
        from sounding.features.quality.steps import plan_quality

        return plan_quality(ctx, step)

    registry.register("quality", plan, replace=True)


# the hooks import the modules doing the work when called: loading the registry stays cheap


def _rule_assets() -> sa.Select[Any]:
    from sounding.features.quality import analytics

    return analytics.active_rule_assets()


def _analytics(conn: Connection, window: AnalyticsWindow) -> Mapping[str, object]:
    from sounding.features.quality import analytics

    return analytics.sections(conn, window)


def _metrics(ctx: Context, conn: Connection) -> Mapping[str, object]:
    from sounding.features.quality import analytics

    return analytics.metrics(ctx, conn)


def _todo(conn: Connection) -> Mapping[str, int]:
    from sounding.features.quality import analytics

    return analytics.todo(conn)


def _impact_rules(conn: Connection, table_ids: Sequence[int]) -> list[dict[str, Any]]:
    from sounding.features.quality import analytics

    return analytics.active_rules(conn, table_ids)


def _search_fields(
    conn: Connection, asset_ids: Sequence[int], object_ids: Sequence[int]
) -> SearchFields:
    """The newest overall score of the tables, views and datasets (a ranking input)."""
    from sounding.features.quality import repo

    return SearchFields(quality=repo.scores_for(conn, object_ids))


FEATURE = Feature(
    "quality",
    bind_step_types=_bind_step_types,
    coverage=(CoverageQuery("with_quality_rules", _rule_assets),),
    analytics=_analytics,
    metrics=_metrics,
    todo=_todo,
    impact_rules=_impact_rules,
    search_fields=_search_fields,
)
