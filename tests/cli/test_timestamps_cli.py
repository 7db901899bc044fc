"""The CLI prints timestamps in the API's one form: ISO 8601, UTC, with Z."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from click.testing import Result

UTC_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z"


def test_json_and_tables_print_utc_with_z(
    cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sounding.cli import output

    assert cli("user", "create", "alice").exit_code == 0
    listed = json.loads(cli("user", "list", "--json").output)
    assert re.fullmatch(UTC_Z, listed["items"][0]["created_at"])
    monkeypatch.setattr(output.console, "width", 200)  # wide enough to print the cell whole
    table = cli("user", "list").output
    assert re.search(UTC_Z, table), table
