"""Fixtures of the web UI tests: one real server on the demo store for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sounding.testing.server import ServerProcess
from tests.ui.site import PASSWORDS, Site, build_demo


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """``sounding serve`` on a demo store; users admin, steward and viewer with passwords.
    Tests that change data change what the demo shows: keep such changes local (one asset,
    one term) and never rely on another test's changes."""
    home = tmp_path_factory.mktemp("ui-demo")
    admin_password, token = build_demo(home)
    server = ServerProcess(home)
    server.token = token  # printed by the demo build, not by this start
    server.start(timeout=60)
    built = Site(server, {"admin": admin_password, **PASSWORDS})
    yield built
    built.close()
