"""The quality tab of the web UI's asset page: the asset's rules with their newest result and
its scores with their trend (one tab's worth of reads)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sounding.domain.auth import Principal
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import scores as quality_scores
from sounding.features.quality import service as quality
from sounding.services.context import Context


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """A quality rule with its newest result (examples masked as the API masks them)."""

    rule: Mapping[str, Any]
    last: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class ScoreTrend:
    dimension: str
    score: float | None
    points: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class QualityTab:
    rules: tuple[RuleStatus, ...]
    scores: tuple[ScoreTrend, ...]
    total_rules: int


def quality_tab(
    ctx: Context, actor: Principal, asset_id: int, urn: str, days: int = 30
) -> QualityTab:
    """The rules on a table, view or dataset with their newest results, and its scores with
    their trend over ``days`` days."""
    ref = str(asset_id)
    found, total = quality.list_rules(ctx, actor, asset=ref, limit=200)
    history, _ = quality_runs.result_history(ctx, actor, asset=ref, limit=500)
    rules = [asdict(r) for r in found]  # the templates read them as the API's JSON
    newest: dict[int, Mapping[str, Any]] = {}
    for r in history:  # newest first
        newest.setdefault(r.rule_id, asdict(r))
    statuses = tuple(RuleStatus(rule, newest.get(int(rule["id"]))) for rule in rules)
    current = quality_scores.scores(ctx, actor, asset=urn).scores
    trends = []
    for dim in ("overall", *quality_scores.DIMENSIONS):
        if dim not in current:
            continue
        points = quality_scores.trend(ctx, actor, asset=urn, days=days, dimension=dim).points
        trends.append(ScoreTrend(dim, current.get(dim), tuple((p.date, p.score) for p in points)))
    return QualityTab(statuses, tuple(trends), total)
