"""Every setting, CLI command and API route is documented (datasette's test_docs idea)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

from sounding.api.app import create_app
from sounding.cli.app import app as cli_app
from sounding.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: Any, prefix: str = "sounding") -> list[str]:
    out = []
    for name in group.list_commands(None):  # the root group imports its commands on demand
        cmd = group.get_command(None, name)
        if getattr(cmd, "hidden", False):  # e.g. `search query`, reached as `search WORDS`
            continue
        full = f"{prefix} {name}"
        out += _commands(cmd, full) if hasattr(cmd, "commands") else [full]
    return out


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    text = (DOCS / "configuration.md").read_text()
    assert f"`SOUNDING_{field.upper()}`" in text


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands(get_command(cli_app))
    assert len(commands) >= 15
    missing = [c for c in commands if f"`{c}" not in text]
    assert missing == []


def test_every_api_route_is_documented() -> None:
    text = (DOCS / "api.md").read_text()
    paths = create_app().openapi()["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if f"| {method.upper()} | `{path}` |" not in text
    ]
    assert missing == []


def test_typer_is_the_cli() -> None:
    assert isinstance(cli_app, typer.Typer)
