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
    seconds: float


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> BuiltDemo:
    target = tmp_path_factory.mktemp("demo")
    started = time.perf_counter()
    workspace = build_demo_workspace(target, seed=7, scale=1.0)
    return BuiltDemo(workspace, plan_demo(7, 1.0), time.perf_counter() - started)


@pytest.fixture
def db(demo: BuiltDemo) -> Iterator[sqlite3.Connection]:
    uri = f"{demo.workspace.warehouse_path.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        yield connection
