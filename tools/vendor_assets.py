"""Refresh the vendored browser assets (``make vendor``): Swagger UI for ``/docs``.

Run by a developer, never at install or run time: ``npm pack`` fetches the pinned package
into a temporary directory, the files we serve are copied into the package, and
``manifest.json`` records name, version, licence, source and the sha256 of every file
(``tests/api/test_docs_ui.py`` checks each hash). Change ``PINNED`` to upgrade.

    python tools/vendor_assets.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

PINNED = {"swagger-ui-dist": "5.35.0"}
FILES = {  # package file -> what it is
    "swagger-ui-bundle.js": "the Swagger UI application (minified)",
    "swagger-ui.css": "its stylesheet (minified)",
    "favicon-32x32.png": "its favicon",
    "LICENSE": "its licence text",
}
TARGET = Path(__file__).resolve().parents[1] / "src" / "sounding" / "api" / "static" / "swagger-ui"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _repository(meta: dict[str, object]) -> str:
    repo = meta.get("repository") or ""
    return str(repo.get("url", "") if isinstance(repo, dict) else repo)


def main() -> None:
    name, version = next(iter(PINNED.items()))
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run(  # noqa: S603 (a fixed command; the version is pinned above)
            ["npm", "pack", f"{name}@{version}", "--json"],  # noqa: S607 (npm on PATH)
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
        integrity = json.loads(packed.stdout)[0]["integrity"]
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        meta = json.loads((package / "package.json").read_text())
        if meta["version"] != version:
            raise SystemExit(f"npm pack gave {name} {meta['version']}, expected {version}")
        if TARGET.exists():
            shutil.rmtree(TARGET)
        TARGET.mkdir(parents=True)
        files = []
        for file, what in FILES.items():
            shutil.copyfile(package / file, TARGET / file)
            files.append({"file": file, "sha256": sha256(TARGET / file), "what": what})
    manifest = {
        "name": name,
        "version": version,
        "license": meta["license"],
        "source": f"npm pack {name}@{version}",
        "tarball_integrity": integrity,
        "repository": _repository(meta),
        "files": files,
    }
    (TARGET / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"Vendored {name} {version} into {TARGET}")


if __name__ == "__main__":
    main()
