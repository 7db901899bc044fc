"""The shared corpora are found from a checkout, from a clone of it, or from the override."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sounding.testing.corpora import corpora_dir


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def test_beside_the_checkout_then_beside_its_origin(tmp_path: Path) -> None:
    origin = tmp_path / "work" / "main"
    (tmp_path / "work" / "shared" / "corpora").mkdir(parents=True)
    origin.mkdir()
    _git("init", "-q", str(origin))
    assert corpora_dir(origin) == tmp_path / "work" / "shared" / "corpora"
    clone = tmp_path / "elsewhere" / "s"
    _git("clone", "-q", str(origin), str(clone))
    assert corpora_dir(clone) == (tmp_path / "work" / "shared" / "corpora").resolve()


def test_override_wins_and_network_remotes_are_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git("init", "-q", str(repo))
    _git("-C", str(repo), "remote", "add", "origin", "https://example.com/x.git")
    assert corpora_dir(repo) == tmp_path / "shared" / "corpora"  # not there: named in errors
    monkeypatch.setenv("SOUNDING_CORPORA", str(tmp_path / "mine"))
    assert corpora_dir(repo) == tmp_path / "mine"
