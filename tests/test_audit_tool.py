"""``make audit`` (tools/audit_deps.py) fails on a fixable vulnerability and on an incomplete
audit, warns on one without a fix, and ignores only the editable project it skips on purpose."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parents[1] / "tools" / "audit_deps.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLEAN = {"name": "alembic", "version": "1.13.0", "vulns": []}
EDITABLE = {"name": "sounding", "skip_reason": "distribution marked as editable"}


def test_a_vulnerability_with_a_fix_fails() -> None:
    fixable = {
        "name": "jinja2",
        "version": "3.1.2",
        "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
    }
    code, lines = _tool().judge({"dependencies": [CLEAN, EDITABLE, fixable]})
    assert code == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in "\n".join(lines)


def test_one_without_a_fix_only_warns() -> None:
    unfixed = {"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1", "fix_versions": []}]}
    code, lines = _tool().judge({"dependencies": [CLEAN, EDITABLE, unfixed]})
    assert code == 0 and any("warning" in line and "PYSEC-1" in line for line in lines)


def test_a_dependency_that_could_not_be_audited_fails_loudly() -> None:
    missing = {"name": "certifi", "skip_reason": "Dependency not found on PyPI"}
    code, lines = _tool().judge({"dependencies": [CLEAN, EDITABLE, missing]})
    assert code == 2 and "not audited" in lines[-1]
