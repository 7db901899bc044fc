"""Rules suggested from profiles: freshness goes on the column that tells when rows arrived."""

from __future__ import annotations

from datetime import UTC, datetime

from sounding.features.quality.suggest import suggest_rules

PROFILED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _col(name: str, kind: str, newest: str) -> dict[str, object]:
    return {"name": name, "kind": kind, "null_count": 1, "max": newest}


def _fresh(columns: list[dict[str, object]]) -> list[dict[str, object]]:
    profile = {"sampled_rows": 200, "columns": columns}
    return [r for r in suggest_rules(profile, PROFILED_AT) if r["kind"] == "freshness"]


def test_freshness_prefers_a_load_time_over_a_birth_date() -> None:
    (rule,) = _fresh(
        [
            _col("date_of_birth", "date", "2005-12-30"),
            _col("signup_at", "timestamp", "2025-12-31T12:00:00"),
            _col("updated_at", "timestamp", "2025-12-30T00:00:00"),
        ]
    )
    assert rule["column"] == "updated_at"
    assert rule["max_age"] == "3d"  # two days old at profiling time, plus a day


def test_no_freshness_on_birth_or_expiry_dates_alone() -> None:
    assert _fresh([_col("date_of_birth", "date", "2005-12-30")]) == []
    assert _fresh([_col("card_expiry_date", "date", "2029-01-31")]) == []
    (rule,) = _fresh([_col("order_date", "date", "2025-12-31")])
    assert rule["column"] == "order_date"
