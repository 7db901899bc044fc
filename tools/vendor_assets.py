"""Refresh the vendored browser assets (``make vendor``): every pinned npm package below.

Run by a developer, never at install or run time: ``npm pack`` fetches each pinned package
into a temporary directory, the files we use are copied into the repository, and a
``manifest.json`` beside them records name, version, licence, source, the tarball's integrity
and the sha256 of every file. Tests check each hash and that nothing unlisted sits beside
them (``tests/api/test_docs_ui.py``, ``tests/ui/test_vendor_manifest.py``).

What goes where:

- ``src/sounding/api/static/swagger-ui/``: Swagger UI for ``/docs``.
- ``src/sounding/ui/static/vendor/<dir>/``: what the web UI serves (htmx, its SSE extension,
  Cytoscape.js for lineage graphs). Shipped in the wheel (package-data ``ui/**/*``).
- ``tests/ui/vendor/axe-core/``: axe-core, used only by the browser tests' accessibility
  check. It lives under ``tests/`` so it is neither served nor shipped; its manifest says
  ``"test_only": true``.

To upgrade, change a version in ``PACKAGES`` and run ``make vendor`` (or
``python tools/vendor_assets.py [dir ...]`` for some of them), then run the tests above.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_VENDOR = ROOT / "src" / "sounding" / "ui" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "ui" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str  # the npm package
    version: str  # pinned exactly
    target: Path  # the directory its files are copied into (replaced as a whole)
    files: dict[str, tuple[str, str]]  # path in the package -> (file name in target, what)
    license: str = ""  # only when package.json declares none: read from its LICENSE file
    test_only: bool = False  # used by the tests, never served


PACKAGES = [
    Package(
        "swagger-ui-dist",
        "5.35.0",
        ROOT / "src" / "sounding" / "api" / "static" / "swagger-ui",
        {
            "swagger-ui-bundle.js": (
                "swagger-ui-bundle.js",
                "the Swagger UI application (minified)",
            ),
            "swagger-ui.css": ("swagger-ui.css", "its stylesheet (minified)"),
            "favicon-32x32.png": ("favicon-32x32.png", "its favicon"),
            "LICENSE": ("LICENSE", "its licence text"),
        },
    ),
    Package(
        "htmx.org",
        "2.0.11",
        UI_VENDOR / "htmx",
        {
            "dist/htmx.min.js": ("htmx.min.js", "htmx (minified)"),
            "LICENSE": ("LICENSE", "its licence text"),
        },
    ),
    Package(
        "htmx-ext-sse",
        "2.2.4",
        UI_VENDOR / "htmx-ext-sse",
        {
            "dist/sse.min.js": ("sse.min.js", "the htmx Server-Sent Events extension (minified)"),
            "LICENSE": ("LICENSE", "its licence text"),
        },
        license="0BSD",  # package.json has no "license"; LICENSE says BSD Zero Clause
    ),
    Package(
        "cytoscape",
        "3.35.0",
        UI_VENDOR / "cytoscape",
        {
            "dist/cytoscape.min.js": ("cytoscape.min.js", "Cytoscape.js graph rendering"),
            "LICENSE": ("LICENSE", "its licence text"),
        },
    ),
    Package(
        "axe-core",
        "4.14.1",
        TEST_VENDOR / "axe-core",
        {
            "axe.min.js": ("axe.min.js", "the axe accessibility engine (minified)"),
            "LICENSE": ("LICENSE", "its licence text"),
            "LICENSE-3RD-PARTY.txt": ("LICENSE-3RD-PARTY.txt", "licences of what it bundles"),
        },
        test_only=True,
    ),
]

# how a LICENSE file names the licence, for packages whose package.json declares none
_LICENSE_TITLES = {"0BSD": "BSD Zero Clause License"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _repository(meta: dict[str, object]) -> str:
    repo = meta.get("repository") or ""
    return str(repo.get("url", "") if isinstance(repo, dict) else repo)


def _license(package: Package, meta: dict[str, object], unpacked: Path) -> str:
    declared = str(meta.get("license") or "")
    if declared:
        if package.license and package.license != declared:
            raise SystemExit(f"{package.name} now declares {declared}, not {package.license}")
        return declared
    if not package.license:
        raise SystemExit(f"{package.name} declares no licence: read its LICENSE, set one")
    title = _LICENSE_TITLES[package.license]
    if title not in (unpacked / "LICENSE").read_text():
        raise SystemExit(f"{package.name}'s LICENSE does not say {title!r}")
    return package.license


def vendor(package: Package) -> None:
    spec = f"{package.name}@{package.version}"
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(  # noqa: S603 (a fixed command; the version is pinned above)
            ["npm", "pack", spec, "--json"],  # noqa: S607 (npm on PATH)
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
        integrity = json.loads(packed.stdout)[0]["integrity"]
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        unpacked = Path(tmp) / "package"
        meta = json.loads((unpacked / "package.json").read_text())
        if meta["version"] != package.version:
            raise SystemExit(f"npm pack gave {package.name} {meta['version']}, not {spec}")
        license_id = _license(package, meta, unpacked)
        if package.target.exists():
            shutil.rmtree(package.target)
        package.target.mkdir(parents=True)
        files = []
        for source, (file, what) in package.files.items():
            shutil.copyfile(unpacked / source, package.target / file)
            entry = {"file": file, "sha256": sha256(package.target / file), "what": what}
            files.append({**entry, "from": source} if source != file else entry)
    manifest = {
        "name": package.name,
        "version": package.version,
        "license": license_id,
        "source": f"npm pack {spec}",
        "tarball_integrity": integrity,
        "repository": _repository(meta),
        "test_only": package.test_only,
        "files": files,
    }
    (package.target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"Vendored {spec} into {package.target.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "only", nargs="*", help="directory names to refresh (default: all), e.g. htmx axe-core"
    )
    args = parser.parse_args()
    unknown = set(args.only) - {p.target.name for p in PACKAGES}
    if unknown:
        raise SystemExit(f"unknown: {', '.join(sorted(unknown))}")
    for package in PACKAGES:
        if not args.only or package.target.name in args.only:
            vendor(package)


if __name__ == "__main__":
    main()
