"""services.asset_page over a real SQLite source: the page's columns with labels and masked
profiles, a schema change in the history, and conditional header edits."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sounding.domain.auth import Principal, Role
from sounding.errors import (
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from sounding.services import asset_page, scans, sources
from sounding.services.scans import ScanOptions

URN = "urn:sounding:shop:main.people"


def _db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, nickname TEXT, email TEXT NOT NULL)"
        )
        conn.executemany(
            "INSERT INTO people VALUES (?, ?, ?)",
            [(i, f"nick{i % 7}" if i % 4 else None, f"user{i}@example.org") for i in range(1, 60)],
        )


@pytest.fixture
def shop(ctx: Any, operator: Principal, tmp_path: Path) -> Path:
    db = tmp_path / "shop.db"
    _db(db)
    sources.add(ctx, operator, "shop", f"sqlite:///{db}")
    scans.run_scan(ctx, operator, "shop", options=ScanOptions(profile=True, classify=True))
    return db


def test_view_has_crumbs_columns_labels_and_masks_for_viewers(
    ctx: Any, operator: Principal, shop: Path
) -> None:
    view = asset_page.asset_view(ctx, operator, URN)
    assert [c.type for c in view.crumbs][-1] == "table"
    assert view.crumbs[0].type == "source" and view.crumbs[0].name == "shop"
    names = [c.name for c in view.columns]
    assert names == ["id", "nickname", "email"]
    by_name = {c.name: c for c in view.columns}
    assert by_name["id"].is_primary_key and by_name["email"].nullable is False
    assert by_name["nickname"].null_percent and by_name["nickname"].null_percent > 0
    email = by_name["email"]
    assert any(lab.label.startswith("PII.Email") for lab in email.labels)
    assert email.sensitive and not email.masked and "@" in str(email.samples)
    assert view.pending_labels >= 1
    viewer = asset_page.asset_view(ctx, Principal("v", Role.VIEWER), URN)
    v_email = {c.name: c for c in viewer.columns}["email"]
    assert v_email.masked and v_email.samples and set(map(str, v_email.samples)) == {"***"}
    assert v_email.distinct == email.distinct  # counts stay
    v_id = {c.name: c for c in viewer.columns}["id"]
    assert not v_id.masked and v_id.profile and v_id.profile["max"] == 59


def test_decide_label_only_on_the_pages_own_columns(
    ctx: Any, operator: Principal, shop: Path
) -> None:
    view = asset_page.asset_view(ctx, operator, URN)
    email = {c.name: c for c in view.columns}["email"]
    label = next(lab.label for lab in email.labels if lab.pending)
    col = asset_page.decide_label(ctx, operator, URN, email.id, label, "confirmed")
    assert {lab.label: lab.status for lab in col.labels}[label] == "confirmed"
    with pytest.raises(NotFoundError):
        asset_page.decide_label(ctx, operator, URN, view.crumbs[0].id, label, "confirmed")
    with pytest.raises(PermissionDeniedError) as refused:
        asset_page.decide_label(ctx, Principal("v", Role.VIEWER), URN, email.id, label, "rejected")
    assert "lacks permission" in str(refused.value)


def test_history_shows_the_schema_diff_of_a_rescan(
    ctx: Any, operator: Principal, shop: Path
) -> None:
    with sqlite3.connect(shop) as conn:
        conn.execute("ALTER TABLE people DROP COLUMN nickname")
        conn.execute("ALTER TABLE people ADD COLUMN city TEXT")
    scans.run_scan(ctx, operator, "shop", options=ScanOptions())
    events = asset_page.history_tab(asset_page.asset_view(ctx, operator, URN))
    assert events[0].event_type == "schema_changed"
    assert events[0].added == ("city",) and events[0].removed == ("nickname",)
    assert events[-1].event_type == "created" and events[-1].columns == (
        "id",
        "nickname",
        "email",
    )


def test_set_field_is_conditional_on_the_revision(
    ctx: Any, operator: Principal, shop: Path
) -> None:
    view = asset_page.asset_view(ctx, operator, URN)
    seen = int(view.asset["revision"])
    done = asset_page.set_field(ctx, operator, URN, "owner", "  a@x  ", seen)
    assert done["owner"] == "a@x"
    with pytest.raises(PreconditionFailedError):
        asset_page.set_field(ctx, operator, URN, "owner", "b@x", seen)
    cleared = asset_page.set_field(ctx, operator, URN, "owner", "", None)
    assert cleared["owner"] is None
    with pytest.raises(InvalidInputError):
        asset_page.set_field(ctx, operator, URN, "urn", "x", None)
    with pytest.raises(InvalidInputError):
        asset_page.edit_list(ctx, operator, URN, "tags")
    tagged = asset_page.edit_list(ctx, operator, URN, "tags", add=["pii", "crm"])
    assert tagged["tags"] == ["crm", "pii"]
