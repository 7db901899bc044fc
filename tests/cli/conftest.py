"""Shared fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from sounding.cli.app import app

# settings a developer's shell may hold that would point the CLI elsewhere than the test store
INHERITED = (
    "SOUNDING_DATABASE_URL",
    "SOUNDING_SECRET_KEY",
    "SOUNDING_API_TOKEN",
    "SOUNDING_EXECUTOR",
    "SOUNDING_DASK_SCHEDULER",
    "SOUNDING_RESOURCES",
    "SOUNDING_DEFAULT_SOURCE_LIMIT",
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``cli("source", "list")`` runs ``sounding source list`` in-process (Typer's runner) on a
    fresh store under ``tmp_path / "home"``, ignoring the settings in ``INHERITED``."""
    monkeypatch.setenv("SOUNDING_HOME", str(tmp_path / "home"))
    for var in INHERITED:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SOUNDING_ALLOWED_CALLABLE_MODULES", "tests")  # workflows name tests.*
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return run
