"""A source that goes away mid-stage: the stage fails the rest of its objects at once, saying
why, instead of waiting out a connect or statement timeout for every one of them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sounding.domain.profiling import SamplePolicy
from sounding.services import classification, profiling, scans, sources


def _source(ctx: Any, operator: Any, path: Path) -> None:
    conn = sqlite3.connect(path)
    for n in range(5):
        conn.execute(f"CREATE TABLE t{n} (id INTEGER, email TEXT)")
        conn.execute(f"INSERT INTO t{n} VALUES (1, 'a@example.com')")
    conn.commit()
    conn.close()
    sources.add(ctx, operator, "shop", f"sqlite:///{path}")
    assert scans.run_scan(ctx, operator, "shop").status == "completed"


def test_profile_and_classify_stop_asking_a_source_that_is_gone(
    ctx: Any, operator: Any, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    _source(ctx, operator, path)
    path.unlink()  # the source is gone after discovery
    for run in (
        lambda: profiling.profile_source(ctx, "shop", SamplePolicy.parse("full")),
        lambda: classification.classify_source(ctx, "shop", force=True),
    ):
        started = time.monotonic()
        out = run()
        assert time.monotonic() - started < 2
        errors = [f["error"] for f in out["failures"]]
        assert len(errors) == 5, errors
        assert errors[0].startswith("Failed to connect to source 'shop'")
        assert all(
            e.startswith("Skipped: source 'shop' stopped answering (Failed to connect")
            for e in errors[1:]
        ), errors
