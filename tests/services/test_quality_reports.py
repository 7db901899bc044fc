"""The quality report as a steward reads it: failing keys, what table rules saw, honest rounding."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sounding.features.quality import reports as quality_reports
from sounding.features.quality import runs as quality_runs
from sounding.features.quality import service as quality
from sounding.services import scans, sources
from tests import quality_sources as qs


def test_html_report_names_failing_keys_and_observations(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'src.db'}"
    qs.build(url)
    sources.add(ctx, operator, "src", url)
    scans.run_scan(ctx, operator, "src")
    quality.apply_rule_file(ctx, operator, qs.rule_file("src", "main.customers", "main.orders"))
    quality_runs.run_quality(ctx, operator, "src")
    _, page = quality_reports.report(ctx, operator, "html", source="src")
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r"<td>([^<]+)</td><td>[a-z]+</td><td><span.*?<td>([^<]*)</td></tr>", page
        )
    }
    # the rows without a phone, by primary key (ids 15, 30, ... have none)
    assert re.fullmatch(
        r"(id=(15|30|45|60|75|90): NULL; ){4}id=(15|30|45|60|75|90): NULL", rows["not_null(phone)"]
    ), rows["not_null(phone)"]
    # out-of-range scores with the row they are in
    assert "id=50: -5" in rows["range(score)"]
    # duplicates: the repeated value and how often it occurs
    assert "user1@example.com \u00d72" in rows["unique(email)"]
    # table-level rules show what they measured
    assert rows["freshness(created_at)"].startswith("newest 2025-06-30")
    assert "days old (max 30 days)" in rows["freshness(created_at)"]
    assert rows["row_count"] == "100 rows"


def test_scores_below_one_never_read_as_100_percent() -> None:
    assert quality_reports.percent(0.9997) == "99.9%"
    assert quality_reports.percent(1.0) == "100.0%"
    assert quality_reports.percent(0.925) == "92.5%"
    assert quality_reports.percent(0.0) == "0.0%"
    assert quality_reports.percent(None) == ""
