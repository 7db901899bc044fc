"""``bench/retention.py`` runs end to end on a tiny store and its figures add up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_retention_bench_smoke() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SOUNDING_DATABASE_URL"}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "retention.py"),
            *("--executions", "100", "--tasks", "5", "--seconds", "1"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    # 90 of 100 executions are past both retentions: their 5 attempts and 7 events each,
    # their step and themselves go; the 10 recent ones stay whole
    assert figures["deleted"] == {
        "attempts.task_attempts": 450,
        "attempts.execution_events": 630,
        "executions.step_executions": 90,
        "executions.executions": 90,
    }
    assert figures["left"] == {"executions": 10, "task_attempts": 50, "execution_events": 70}
    assert figures["read_errors"] == 0 and figures["reads_during"] > 0
    assert figures["p95_before_ms"] is not None
