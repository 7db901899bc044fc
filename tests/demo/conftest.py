"""One full-size demo build shared by the demo tests (building takes a couple of seconds)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import pytest

from sounding.demo.plan import DemoPlan, plan_demo
from sounding.demo.warehouse import DemoWorkspace, build_demo_workspace


@dataclass(frozen=True)
class BuiltDemo:
    workspace: DemoWorkspace
    plan: DemoPlan
    seconds: float  # CPU seconds of the build (one thread, no child process)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> BuiltDemo:
    target = tmp_path_factory.mktemp("demo")
    # CPU time, not wall time: parallel test workers (and anything else on the machine) share
    # the cores, and a budget on the wall clock would measure them
    started = time.process_time()
    workspace = build_demo_workspace(target, seed=7, scale=1.0)
    return BuiltDemo(workspace, plan_demo(7, 1.0), time.process_time() - started)


@pytest.fixture
def db(demo: BuiltDemo) -> Iterator[sqlite3.Connection]:
    uri = f"{demo.workspace.warehouse_path.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        yield connection
