"""``sounding db prune``: a dry run counts, a prune deletes, a bad setting is one line + 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sounding.testing.history import HistoryBatch, fill_history


def _executions(home: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{home / 'sounding.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM executions").scalar_one())
    finally:
        engine.dispose()


def test_dry_run_then_prune(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert cli("db", "upgrade").exit_code == 0
    engine = sa.create_engine(f"sqlite:///{home / 'sounding.db'}")
    now = datetime.now(UTC)
    fill_history(
        engine,
        [
            HistoryBatch("old-", 4, 3, now - timedelta(days=400)),
            HistoryBatch("new-", 2, 3, now - timedelta(days=1)),
        ],
    )
    engine.dispose()
    dry = cli("db", "prune", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    kinds = {k["kind"]: {t["table"]: t["rows"] for t in k["tables"]} for k in report["kinds"]}
    assert kinds["attempts"] == {"task_attempts": 12, "execution_events": 20}
    assert kinds["executions"]["executions"] == 4
    assert _executions(home) == 6
    done = cli("db", "prune")
    assert done.exit_code == 0, done.output
    assert "Deleted" in done.stdout and "executions" in done.stdout
    assert "Retention deleted 40 row(s)" in done.stdout  # 12 + 20 + 4 steps + 4 executions
    assert "Store:" in done.stdout
    assert _executions(home) == 2
    again = json.loads(cli("db", "prune", "--json").stdout)
    assert all(t["rows"] == 0 for k in again["kinds"] for t in k["tables"])


def test_a_bad_retention_is_one_line_and_exit_2(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOUNDING_RETENTION_EXECUTIONS", "forever")
    result = cli("db", "prune", "--dry-run")
    assert result.exit_code == 2
    assert "SOUNDING_RETENTION_EXECUTIONS must be a duration" in result.output
    assert len(result.output.strip().splitlines()) == 1
