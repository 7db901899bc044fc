"""The core (services and the engines below it) imports no feature package: what a feature
adds to the core's views it registers as hooks on its ``Feature`` (services/features.py).

import-linter's layers contract holds the same rule with no exception listed; this test
names the offending line, TYPE_CHECKING and function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sounding.services import features

SRC = Path(__file__).resolve().parents[1] / "src" / "sounding"
CORE = ("services", "store", "connectors", "scanning", "lineage", "search", "governance", "domain")


def _feature_imports(path: Path, root: Path = SRC) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [
            f"{path.relative_to(root)}:{node.lineno} {n}"
            for n in names
            if n == "sounding.features" or n.startswith("sounding.features.")
        ]
    return found


def test_the_core_imports_no_feature() -> None:
    offending = [
        hit
        for layer in CORE
        for path in (SRC / layer).rglob("*.py")
        for hit in _feature_imports(path)
    ]
    assert offending == []


def test_the_check_sees_a_feature_import(tmp_path: Path) -> None:
    bad = SRC / "services" / "_probe_for_the_test.py"
    assert not bad.exists()
    bad.write_text("def f():\n    from sounding.features.usage import repo\n", encoding="utf-8")
    try:
        assert _feature_imports(bad) == [
            "services/_probe_for_the_test.py:2 sounding.features.usage"
        ]
    finally:
        bad.unlink()


@pytest.mark.parametrize("feature", features.load(), ids=lambda f: f.name)
def test_every_feature_hook_resolves(feature: features.Feature) -> None:
    """The hooks import their modules lazily: each provider named must import and answer."""
    for query in feature.coverage:
        assert query.asset_ids() is not None
    if feature.asset_terms is not None:
        terms = feature.asset_terms()
        assert callable(terms.term_paths) and callable(terms.edit_links)
    if feature.search_source is not None:
        source = feature.search_source()
        assert isinstance(source.kind, str) and callable(source.documents)


def test_binding_step_types_imports_no_feature_service(tmp_path: Path) -> None:
    """An engine's first start binds every feature's step types; the feature's modules load
    when one of its steps is planned, so a scan workflow (``sounding scan``) imports neither
    the quality runs nor the compliance frameworks. Checked in a fresh process."""
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys, tempfile\n"
        "from pathlib import Path\n"
        "from sounding.config import Settings\n"
        "from sounding.services.context import build_context\n"
        "from sounding.services.executors import local_step_types\n"
        "ctx = build_context(Settings(home=Path(tempfile.mkdtemp())))\n"
        "before = set(sys.modules)\n"
        "registry = local_step_types(ctx)\n"
        "handlers = [registry.handler(n) for n in ('quality', 'compliance')]\n"
        "loaded = sorted(m for m in set(sys.modules) - before\n"
        "                if m.startswith('sounding.features.'))\n"
        "ctx.close()\n"
        "print(json.dumps(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**__import__("os").environ, "SOUNDING_HOME": str(tmp_path)},
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
