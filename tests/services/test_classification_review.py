"""The review queue's service on each store backend: filters, facets, samples (masked for a
viewer) and decisions that leave a label changed meanwhile as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.demo.warehouse import build_demo_workspace
from sounding.domain.auth import Principal, Role
from sounding.domain.scans import ScanOptions
from sounding.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from sounding.services import classification_review as review
from sounding.services import scans, sources

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("demo"), scale=0.05).warehouse_path


def test_queue_filters_samples_and_decisions(any_ctx: Any, operator: Any, warehouse: Path) -> None:
    ctx = any_ctx
    sources.add(ctx, operator, "warehouse", f"sqlite:///{warehouse}")
    run = scans.run_scan(
        ctx, operator, "warehouse", options=ScanOptions(profile=True, classify=True, sample="full")
    )
    assert run.status == "completed"
    items, total = review.queue(ctx, operator, limit=500)
    assert total == len(items) > 10 and all(i.pending for i in items)
    assert [i.qualified_name for i in items] == sorted(i.qualified_name for i in items)
    facets = review.facets(ctx, operator, "suggested", None)
    assert sum(facets.labels.values()) == total and facets.sources == {"warehouse": total}
    emails, _ = review.queue(ctx, operator, label="PII", source="warehouse", limit=500)
    assert emails and all(i.label.startswith("PII.") for i in emails)
    sure, _ = review.queue(ctx, operator, min_confidence=0.99, limit=500)
    assert sure and all(i.confidence >= 0.99 for i in sure)
    email = next(i for i in items if i.label == "PII.Email" and i.column == "email")
    assert email.samples and "@" in email.samples[0] and not email.masked
    viewer = Principal("v", Role.VIEWER)
    seen = review.items(ctx, viewer, [email.id])[0]
    assert seen.masked and set(seen.samples) == {"***"}
    with pytest.raises(PermissionDeniedError):
        review.decide(ctx, viewer, {email.id: "suggested"}, "confirmed")
    with pytest.raises(InvalidInputError):
        review.queue(ctx, operator, min_confidence=0.9, max_confidence=0.5)
    with pytest.raises(NotFoundError):
        review.queue(ctx, operator, source="nowhere")
    other = next(i for i in items if i.id != email.id)
    done = review.decide(
        ctx,
        operator,
        {email.id: "suggested", other.id: "suggested", 10**9: "suggested"},
        "rejected",
    )
    assert [i.id for i in done.decided] == [email.id, other.id] and done.missing == [10**9]
    assert all(i.status == "rejected" and i.decided_by == "tester" for i in done.decided)
    again = review.decide(ctx, operator, {email.id: "suggested"}, "confirmed")
    assert again.decided == [] and [i.id for i in again.stale] == [email.id]
    left, remaining = review.queue(ctx, operator, limit=500)
    assert remaining == total - 2 and email.id not in {i.id for i in left}
