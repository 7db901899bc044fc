"""The home page's figures on each store backend, with exact counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sounding.errors import SoundingError
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.services import catalog, classification, overview, scans, sources
from tests.factories import sqlite_source

U = "urn:sounding:shop:main."


def test_home_counts_todo_coverage_events_and_scans(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    db = tmp_path / "shop.db"
    sources.add(any_ctx, operator, "shop", sqlite_source(db))
    scans.run_scan(any_ctx, operator, "shop")
    classification.classify_source(any_ctx, "shop")  # suggests labels (email, name)
    first = overview.home(any_ctx, operator)
    assert first.assets_by_type["table"] == 2 and first.assets_by_type["view"] == 1
    assert first.objects_by_source == {"shop": 3} and first.objects == 3
    assert first.todo.unowned_objects == 3
    pending = first.todo.pending_classifications
    assert pending > 0  # the email columns' suggested labels
    # the newest events are the objects the scan created, newest first
    assert {(e.name, e.event_type) for e in first.recent_events} == {
        ("customers", "created"),
        ("orders", "created"),
        ("big_orders", "created"),
    }
    assert [e.event_id for e in first.recent_events] == sorted(
        (e.event_id for e in first.recent_events), reverse=True
    )
    assert first.running_scans == () and first.failed_scans == ()
    assert first.last_finished_scan is not None and first.last_finished_scan.source == "shop"
    assert first.changes == () and not first.more_changes

    catalog.update_asset(any_ctx, operator, U + "orders", {"owner": "ops@shop.example"})
    labels = classification.asset_classifications(any_ctx, operator, U + "customers#email")
    label = next(i.label for i in labels.items if i.status == "suggested")
    classification.decide(any_ctx, operator, U + "customers#email", label, "confirmed")
    term = glossary.create_term(any_ctx, operator, {"name": "Customer", "definition": "A buyer"})
    glossary_links.link(any_ctx, operator, term.id, U + "customers#name")
    # the source is gone: its next scan fails, and the home page says so
    db.unlink()
    with pytest.raises(SoundingError):
        scans.run_scan(any_ctx, operator, "shop")

    after = overview.home(any_ctx, operator)
    assert after.todo.unowned_objects == 2
    assert after.todo.pending_classifications == pending - 1
    coverage = {c.key: (c.count, c.total) for c in after.coverage}
    assert coverage["owned"] == (1, 3)
    assert coverage["with_terms"] == (1, 3)  # through a column of customers
    assert [s.source for s in after.failed_scans] == ["shop"]
    assert after.failed_scans[0].error
