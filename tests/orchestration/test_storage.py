"""The in-memory run storage passes the run storage contract."""

from __future__ import annotations

import pytest

from sounding.orchestration import InMemoryRunStorage
from sounding.orchestration.storage import RunStorage
from tests.orchestration.storage_contract import RunStorageContract


class TestInMemoryRunStorage(RunStorageContract):
    @pytest.fixture
    def storage(self) -> RunStorage:
        return InMemoryRunStorage()
