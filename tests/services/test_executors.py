"""Choosing the executor from settings and flags; health reports it; a clear error without the
``dask`` extra."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from sounding.config import Settings
from sounding.errors import InvalidInputError
from sounding.orchestration import LocalExecutor
from sounding.orchestration.executors.dask import DaskExecutor
from sounding.services import executors, health


def test_settings_and_flags_choose_the_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOUNDING_EXECUTOR", "dask")
    monkeypatch.setenv("SOUNDING_DASK_SCHEDULER", "tcp://sched:8786")
    from_env = Settings(home=tmp_path)
    chosen = executors.build_executor(from_env)
    assert isinstance(chosen, DaskExecutor) and chosen.scheduler_address == "tcp://sched:8786"
    flagged = executors.with_executor(from_env, "local")
    assert isinstance(executors.build_executor(flagged), LocalExecutor)
    moved = executors.with_executor(from_env, None, "tcp://other:8786")
    assert (moved.executor, moved.dask_scheduler) == ("dask", "tcp://other:8786")
    with pytest.raises(InvalidInputError, match="Unknown executor 'ray'"):
        executors.with_executor(from_env, "ray")


def test_dask_without_the_extra_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def without_distributed(name: str, *args: Any) -> Any:
        if name == "distributed":
            raise ImportError("No module named 'distributed'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_distributed)
    with pytest.raises(InvalidInputError, match=r"pip install 'sounding\[dask\]'"):
        executors.with_executor(Settings(home=tmp_path), "dask")


def test_health_reports_the_local_executor(ctx: Any, operator: Any) -> None:
    found = health.system_health(ctx, operator)["executor"]
    assert found["name"] == "local" and found["scheduler"] is None
    assert found["workers"] == LocalExecutor().workers >= 1
