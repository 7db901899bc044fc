"""The vendored browser assets are exactly what ``make vendor`` pinned: every file's sha256
matches its ``manifest.json``, nothing unlisted sits beside them, each manifest matches the pin
in ``tools/vendor_assets.py``, and the test-only axe-core is never inside the package."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
UI_VENDOR = ROOT / "src" / "sounding" / "ui" / "static" / "vendor"
TEST_VENDOR = Path(__file__).resolve().parent / "vendor"
SERVED = ("htmx", "htmx-ext-sse", "cytoscape")


def _tool() -> ModuleType:
    path = ROOT / "tools" / "vendor_assets.py"
    spec = importlib.util.spec_from_file_location("vendor_assets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vendor_assets"] = module  # dataclasses look their module up while defining
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["vendor_assets"]
    return module


def _vendored_dirs() -> list[Path]:
    return sorted([*UI_VENDOR.iterdir(), *TEST_VENDOR.iterdir()])


def test_the_served_and_test_only_packages_are_all_there() -> None:
    assert sorted(p.name for p in UI_VENDOR.iterdir()) == sorted(SERVED)
    assert [p.name for p in TEST_VENDOR.iterdir()] == ["axe-core"]


@pytest.mark.parametrize("folder", _vendored_dirs(), ids=lambda p: p.name)
def test_every_file_matches_its_pinned_hash_and_nothing_is_unlisted(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["source"] == f"npm pack {manifest['name']}@{manifest['version']}"
    assert manifest["license"] and manifest["tarball_integrity"].startswith("sha512-")
    assert manifest["test_only"] is (folder.parent == TEST_VENDOR)
    listed = {f["file"]: f["sha256"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.json"} == set(listed), "every file is listed, and only those"
    assert "LICENSE" in listed, "each package ships its licence text"
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_each_manifest_is_the_version_the_tool_pins() -> None:
    pinned = {p.target: p for p in _tool().PACKAGES}
    for folder in _vendored_dirs():
        manifest = json.loads((folder / "manifest.json").read_text())
        package = pinned[folder]
        assert (manifest["name"], manifest["version"]) == (package.name, package.version)
        assert [f["file"] for f in manifest["files"]] == [f for f, _ in package.files.values()]
        assert manifest["test_only"] is package.test_only


def test_the_pinned_majors_are_the_ones_the_ui_is_written_for() -> None:
    majors = {p.name: p.version.split(".")[0] for p in _tool().PACKAGES}
    assert majors == {
        "swagger-ui-dist": "5",
        "htmx.org": "2",
        "htmx-ext-sse": "2",
        "cytoscape": "3",
        "axe-core": "4",
    }


def test_nothing_test_only_is_inside_the_package() -> None:
    package = ROOT / "src" / "sounding"
    assert not list(package.rglob("axe*.js"))
    for manifest in package.rglob("manifest.json"):
        assert json.loads(manifest.read_text()).get("test_only") is not True, manifest


@pytest.mark.browser
def test_the_served_scripts_load_together_in_chromium(page: Page) -> None:
    page.set_content("<!doctype html><html><body><div id='g' style='width:200px;height:200px'>")
    for script in ("htmx/htmx.min.js", "htmx-ext-sse/sse.min.js", "cytoscape/cytoscape.min.js"):
        page.add_script_tag(path=str(UI_VENDOR / script))
    assert page.evaluate("() => htmx.version") == _pinned("htmx.org")
    # the SSE extension registered itself with this htmx (it defines htmx.createEventSource)
    assert page.evaluate("() => typeof htmx.createEventSource") == "function"
    nodes = page.evaluate(
        """() => cytoscape({container: document.getElementById('g'), elements: [
            {data: {id: 'a'}}, {data: {id: 'b'}}, {data: {source: 'a', target: 'b'}}]})
            .nodes().length"""
    )
    assert nodes == 2


def _pinned(name: str) -> str:
    return str(next(p.version for p in _tool().PACKAGES if p.name == name))
