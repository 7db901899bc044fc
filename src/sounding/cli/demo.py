"""The demo workspace: generated warehouse and files, registered as sources, with owners,
compliance findings, quality rules and a glossary (``sounding demo``).

A composition of several features, so it lives with the presentation (which may import
every feature) rather than in the core's services (which import none)."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

from sounding.demo.processing import processing_properties
from sounding.demo.warehouse import TABLE_OWNERS, build_demo_workspace
from sounding.domain.auth import Principal
from sounding.domain.urn import make_urn
from sounding.errors import NotFoundError
from sounding.features.compliance import service as compliance
from sounding.features.compliance.records import EvaluationResult
from sounding.features.glossary.links import generate_suggestions
from sounding.features.glossary.service import import_terms
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.features.quality.records import QualityRunDetail
from sounding.services import catalog, classification, sources
from sounding.services.context import Context
from sounding.store.repos import sources as source_repo

logger = logging.getLogger(__name__)


def prepare_demo(ctx: Context, actor: Principal, data_dir: Path) -> list[str]:
    """Generate the demo data under ``data_dir`` and register its sources (idempotent).

    Returns the names of the demo sources, ready to scan.
    """
    workspace = build_demo_workspace(data_dir)
    names = []
    for name, url in workspace.sources():
        with ctx.db.read() as conn:
            existing = source_repo.get_by_name(conn, name)
        if existing is None:  # scans profile (10% sample) and classify, as a steward would set
            options = {"profile": True, "classify": True, "sample": "10%"}
            sources.add(ctx, actor, name, url, options=options, description="Sounding demo data")
        names.append(name)
    return names


def assign_demo_owners(ctx: Context, actor: Principal) -> int:
    """Give the scanned warehouse tables their owners, as a data team would have.

    One personal-data table is left without an owner on purpose (a governance defect the
    compliance checks find). Returns how many assets got an owner.
    """
    done = 0
    for table, owner in sorted(TABLE_OWNERS.items()):
        try:
            catalog.update_asset(
                ctx,
                actor,
                make_urn("warehouse", ("main", table)),
                {"owner": owner, **processing_properties(table)},
            )
        except NotFoundError:
            logger.warning("Demo table %s was not cataloged; no owner set", table)
            continue
        done += 1
    return done


def evaluate_demo_compliance(ctx: Context, actor: Principal) -> EvaluationResult:
    """Confirm the masked card column as card data (as a steward would) and evaluate every
    compliance framework over the warehouse: the planted defects become findings."""
    masked = make_urn("warehouse", ("main", "stg_payment_methods"), "card_number_masked")
    try:
        classification.decide(ctx, actor, masked, "PCI.CardNumber", "confirmed", "masked PAN")
    except NotFoundError:
        logger.warning("Demo column %s was not cataloged", masked)
    return compliance.evaluate(ctx, actor, "warehouse")


def run_demo_quality(ctx: Context, actor: Principal) -> QualityRunDetail:
    """Apply the demo warehouse's quality rules (``demo/quality_rules.yaml``) and run them."""
    text = resources.files("sounding.demo").joinpath("quality_rules.yaml").read_text("utf-8")
    quality.apply_rule_file(ctx, actor, text)
    return quality_runs.run_quality(ctx, actor, "warehouse")


DEMO_GLOSSARY = Path(__file__).resolve().parents[1] / "demo" / "glossary.csv"  # sounding/demo


def load_demo_glossary(ctx: Context, actor: Principal, source: str = "warehouse") -> dict[str, Any]:
    """Import the demo's e-commerce glossary (idempotent) and suggest terms for the scanned
    warehouse. Returns the import counts and the suggestion counts."""
    imported = import_terms(ctx, actor, DEMO_GLOSSARY.read_text(encoding="utf-8"), "csv")
    return {"imported": imported, "suggestions": generate_suggestions(ctx, actor, source)}
