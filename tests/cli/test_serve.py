"""`sounding serve` as a real process: prints the bootstrap token once, answers over HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import sqlite_source


@pytest.mark.slow
def test_serve_end_to_end(live_server: tuple[str, str, Path], tmp_path: Path) -> None:
    base, token, _home = live_server
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/v1/me", headers=auth).json()["name"] == "admin"
    assert httpx.get(f"{base}/api/v1/sources").status_code == 401
    url = sqlite_source(tmp_path / "shop.db")
    created = httpx.post(f"{base}/api/v1/sources", headers=auth, json={"name": "shop", "url": url})
    assert created.status_code == 201
    scan = httpx.post(f"{base}/api/v1/scans", headers=auth, json={"source": "shop"}).json()
    deadline = time.monotonic() + 30
    while scan["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        scan = httpx.get(f"{base}/api/v1/scans/{scan['id']}", headers=auth).json()
    assert scan["status"] == "completed"
    views = httpx.get(f"{base}/api/v1/assets", headers=auth, params={"type": "view"}).json()
    assert [v["name"] for v in views["items"]] == ["big_orders"]
    spec = httpx.get(f"{base}/openapi.json").json()
    assert "/api/v1/assets" in spec["paths"]
    # what the server holds after start-up is left out of garbage collection (cli/heap.py;
    # tests/cli/test_heap.py shows collection runs again after the freeze)
    found = _gc_metrics(base)
    assert found[("python_gc_objects_frozen", "")] > 100_000
    assert ("python_gc_collections_total", "2") in found


def _gc_metrics(base: str) -> dict[tuple[str, str], float]:
    """(sample name, generation label or "") -> value of the ``python_gc_*`` samples."""
    text = httpx.get(f"{base}/metrics").text
    return {
        (sample.name, sample.labels.get("generation", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("python_gc_")
    }
