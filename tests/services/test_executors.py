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
from sounding.services import executors, health, workflows
from sounding.services.context import Context, build_context
from tests.conftest import make_settings


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
    found = health.system_health(ctx, operator).executor
    assert found.name == "local" and found.scheduler is None
    assert found.workers == LocalExecutor().workers >= 1


class _NoCluster:
    """Stands in for ``distributed.LocalCluster``: records and refuses any start."""

    def __init__(self) -> None:
        self.starts = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.starts += 1
        raise AssertionError("a LocalCluster was started")


def _dask_context(home: Path, scheduler: str | None = None) -> Context:
    ctx = build_context(make_settings(home))
    ctx.settings = executors.with_executor(ctx.settings, "dask", scheduler)
    return ctx


def test_reading_executions_with_dask_starts_no_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operator: Any
) -> None:
    distributed = pytest.importorskip("distributed")
    no_cluster = _NoCluster()
    monkeypatch.setattr(distributed, "LocalCluster", no_cluster)
    ctx = _dask_context(tmp_path)
    try:
        assert workflows.list_executions(ctx, operator) == []
        assert workflows.list_workflows(ctx, operator) == []
        found = health.system_health(ctx, operator)
        executor = ctx.engine.executor
        assert isinstance(executor, DaskExecutor) and not executor.connected
    finally:
        ctx.close()
    assert no_cluster.starts == 0
    assert found.executor.name == "dask"
    assert (found.executor.started, found.executor.workers) == (False, None)
    assert not any("executor" in p for p in found.problems)


def test_only_the_server_start_connects_the_dask_executor_at_once(
    tmp_path: Path, operator: Any
) -> None:
    dask = pytest.importorskip("dask")
    ctx = _dask_context(tmp_path, "tcp://127.0.0.1:1")  # nothing listens there
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
            assert workflows.list_executions(ctx, operator) == []  # lazy: no connection tried
            with pytest.raises(InvalidInputError, match=r"Cannot reach the Dask scheduler"):
                ctx.start()  # what `sounding serve` does at start-up
    finally:
        ctx.close()
