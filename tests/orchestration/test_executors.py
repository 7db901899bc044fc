"""The local executor passes the executor contract."""

from __future__ import annotations

import pytest

from sounding.orchestration import Executor, LocalExecutor
from tests.orchestration.executor_contract import ExecutorContract


class TestLocalExecutor(ExecutorContract):
    @pytest.fixture
    def executor(self) -> Executor:
        return LocalExecutor(max_workers=4)
