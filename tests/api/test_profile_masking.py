"""No figure of a labelled column's profile shows a real value to a viewer.

A file source with exact birthdates and salaries is profiled (min, max, mean, quantiles,
histogram bounds, top values) through a real ``sounding serve``; the columns are labelled;
then every field of every profile response a viewer can read is searched for the real values.
A steward (``pii:read``) still sees them, so the masking is what hides them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from sounding.testing.server import ServerProcess

BIRTHDATES = ["1931-02-17", "1947-11-03", "1962-06-29", "1975-01-08", "1988-09-14", "2004-12-30"]
SALARIES = [18250, 30500, 41750, 56125, 77340, 123456]
ROWS = 60
TABLE = 'urn:sounding:hr:"people.csv"'


def _write_people(folder: Path) -> None:
    lines = ["id,birth_date,salary,city"]
    for i in range(ROWS):
        j = i % len(BIRTHDATES)
        lines.append(f"{i},{BIRTHDATES[j]},{SALARIES[j]},City{i % 3}")
    folder.mkdir(parents=True)
    (folder / "people.csv").write_text("\n".join(lines) + "\n")


def _real_values() -> set[str]:
    """Every written value in the forms a profile may show it (dates, numbers)."""
    found = set(BIRTHDATES) | {d.replace("-", "") for d in BIRTHDATES}
    found |= {str(s) for s in SALARIES} | {f"{s}.0" for s in SALARIES}
    mean = sum(SALARIES) / len(SALARIES)
    found |= {str(round(mean, 1)), str(int(mean))}
    return found


def _strings(value: Any) -> Iterator[str]:
    """Every key and leaf of a JSON document, as text."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict]]:
    root = tmp_path_factory.mktemp("masking")
    _write_people(root / "files")
    server = ServerProcess(root / "home")
    server.start()
    api, admin = f"{server.base}/api/v1", server.headers
    try:
        tokens = {}
        for role in ("viewer", "steward"):
            assert httpx.post(
                f"{api}/users", json={"name": f"{role}1", "role": role}, headers=admin
            ).is_success
            made = httpx.post(f"{api}/users/{role}1/tokens", headers=admin)
            tokens[role] = {"Authorization": f"Bearer {made.json()['token']}"}
        src = {"name": "hr", "url": str(root / "files"), "options": {"profile": True}}
        assert httpx.post(f"{api}/sources", json=src, headers=admin).status_code == 201
        scan = httpx.post(f"{api}/scans", json={"source": "hr"}, headers=admin).json()
        deadline = time.monotonic() + 60
        while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            scan = httpx.get(f"{api}/scans/{scan['id']}", headers=admin).json()
        assert scan["status"] == "completed", scan
        for column, label in (("birth_date", "PII.DateOfBirth"), ("salary", "Custom.Salary")):
            urn = quote(f"{TABLE}#{column}", safe=":")
            r = httpx.post(
                f"{api}/assets/{urn}/classifications/{label}/confirm", headers=tokens["steward"]
            )
            assert r.is_success, r.text
        yield server, tokens
    finally:
        server.stop()


def _profile_docs(server: ServerProcess, who: dict[str, str]) -> list[Any]:
    api = f"{server.base}/api/v1"
    docs = []
    for ref in (TABLE, quote(f"{TABLE}#birth_date", safe=":")):
        for path in ("profile", "profile/history"):
            r = httpx.get(f"{api}/assets/{ref}/{path}", headers=who)
            assert r.status_code == 200, r.text
            docs.append(r.json())
    return docs


def test_a_viewer_sees_no_real_value_in_any_field(profiled: tuple[ServerProcess, dict]) -> None:
    server, tokens = profiled
    docs = _profile_docs(server, tokens["viewer"])
    table = docs[0]["profile"]
    by_name = {c["name"]: c for c in table["columns"]}
    birth = by_name["birth_date"]
    # the figures were measured (else there would be nothing to hide) and are masked
    assert birth["masked"] is True and birth["min"] == birth["max"] == "***"
    assert birth["histogram"] and all(b["low"] == b["high"] == "***" for b in birth["histogram"])
    assert sum(b["count"] for b in birth["histogram"]) == ROWS  # counts stay useful
    assert by_name["salary"]["mean"] == "***"
    assert by_name["city"].get("masked") is not True  # unlabelled columns are not masked
    real = _real_values()
    for doc in docs:
        texts = list(_strings(doc))
        leaked = {t for t in texts for value in real if value in t}
        assert not leaked, f"real values reach a viewer: {sorted(leaked)[:5]}"


def test_a_steward_with_pii_read_sees_the_values(profiled: tuple[ServerProcess, dict]) -> None:
    server, tokens = profiled
    docs = _profile_docs(server, tokens["steward"])
    text = json.dumps(docs)
    assert BIRTHDATES[0] in text and BIRTHDATES[-1] in text
    assert str(SALARIES[-1]) in text
