"""With ``SOUNDING_EXECUTOR=dask`` and no scheduler, commands that only read workflows and
executions start no Dask cluster (the executor starts when a task is submitted)."""

from __future__ import annotations

import json
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")


def test_read_only_commands_start_no_local_cluster(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []

    def no_cluster(*args: Any, **kwargs: Any) -> Any:
        started.append(kwargs)
        raise AssertionError("a LocalCluster was started")

    monkeypatch.setattr(distributed, "LocalCluster", no_cluster)
    monkeypatch.setenv("SOUNDING_EXECUTOR", "dask")
    executions = cli("execution", "list", "--json")
    assert executions.exit_code == 0, executions.output
    assert json.loads(executions.stdout)["items"] == []
    workflows = cli("workflow", "list", "--json")
    assert workflows.exit_code == 0, workflows.output
    assert started == []
