"""Quality and compliance of a data product, rolled up from its assets through the quality
and compliance features' published use cases (the two edges this feature has to others,
declared in the ``independence`` contract)."""

from __future__ import annotations

from collections.abc import Sequence

from sounding.domain.auth import Principal
from sounding.errors import InvalidInputError, NotFoundError
from sounding.features.compliance import findings as compliance_findings
from sounding.features.data_products.records import PortAsset, ProductHealth
from sounding.features.quality import scores as quality_scores
from sounding.services.context import Context

QUALITY_AT_RISK = 0.9  # an overall score below this puts the product at risk
SCORED_TYPES = ("table", "view", "dataset")
MAX_FINDINGS = 1000  # per asset, for the counts by severity


def rollup(ctx: Context, actor: Principal, assets: Sequence[PortAsset]) -> ProductHealth:
    """The product's health from the live assets on its ports (each counted once)."""
    seen: dict[int, PortAsset] = {a.id: a for a in assets if not a.deleted}
    overall: list[float] = []
    by_severity: dict[str, int] = {}
    for asset in seen.values():
        if asset.type in SCORED_TYPES:
            try:
                value = quality_scores.scores(ctx, actor, asset=asset.urn).scores.get("overall")
            except (InvalidInputError, NotFoundError):
                value = None
            if value is not None:
                overall.append(float(value))
        items, _ = compliance_findings.list_findings(
            ctx,
            actor,
            asset=asset.urn,
            status="open",
            include_columns=True,
            limit=MAX_FINDINGS,
        )
        for finding in items:
            by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
    score = round(sum(overall) / len(overall), 4) if overall else None
    open_findings = sum(by_severity.values())
    if open_findings or (score is not None and score < QUALITY_AT_RISK):
        status = "at_risk"
    elif score is None:
        status = "unknown"
    else:
        status = "ok"
    return ProductHealth(
        status=status,
        quality_score=score,
        tables_scored=len(overall),
        open_findings=open_findings,
        open_by_severity=dict(sorted(by_severity.items())),
    )
