"""``/docs`` works offline: Swagger UI comes from files vendored in the package, each pinned by
its sha256 in ``manifest.json`` (refreshed by ``make vendor``)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx

from sounding.api.app import STATIC_DIR

SWAGGER = STATIC_DIR / "swagger-ui"


def _manifest() -> dict[str, object]:
    return dict(json.loads((SWAGGER / "manifest.json").read_text()))


def test_every_vendored_file_matches_its_pinned_hash() -> None:
    manifest = _manifest()
    assert manifest["name"] == "swagger-ui-dist" and manifest["license"] == "Apache-2.0"
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(manifest["version"]))
    assert str(manifest["source"]).startswith("npm pack swagger-ui-dist@")
    files = {f["file"]: f["sha256"] for f in manifest["files"]}  # type: ignore[attr-defined]
    on_disk = {p.name for p in SWAGGER.iterdir()} - {"manifest.json"}
    assert on_disk == set(files), "every vendored file is listed, and nothing else"
    for name, digest in files.items():
        assert hashlib.sha256((SWAGGER / name).read_bytes()).hexdigest() == digest, name


def test_docs_page_loads_only_local_assets_from_a_real_server(
    live_server: tuple[str, str, Path],
) -> None:
    base, _token, _home = live_server
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert assets and all(url.startswith("/") for url in assets), assets
    assert "cdn." not in page.text and "https://" not in page.text
    pinned = {f["file"]: f["sha256"] for f in _manifest()["files"]}  # type: ignore[attr-defined]
    for url in assets:
        got = httpx.get(f"{base}{url}")
        assert got.status_code == 200, url
        assert hashlib.sha256(got.content).hexdigest() == pinned[url.rsplit("/", 1)[1]]
    assert "/openapi.json" in page.text
    assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "Sounding"
    assert httpx.get(f"{base}/docs/oauth2-redirect").status_code == 200
