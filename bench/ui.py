"""Web UI pages: server time per page on the demo store, through a real ``sounding serve``.

Builds the demo (``sounding demo --no-serve``) in a temporary home,
starts the server, logs in as the admin, then requests every page in :data:`PAGES` ``--runs``
times and reads the server's own time from each answer's ``Server-Timing`` header (the time
until the response started, inside the server); the wall time at the client is reported
beside it. Goal (issue 14): p95 server time ≤ 50 ms for every page.

    .venv/bin/python bench/ui.py [--runs 40]

Prints one JSON line on stdout: per page, p50/p95 server ms and p50 wall ms.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.ui.site import Site, build_demo  # noqa: E402

from sounding.testing.server import ServerProcess  # noqa: E402

# (name, path): the pages of the web UI on the demo store. Paths may name demo objects;
# "{asset}" is replaced by the id of the demo's widest table.
PAGES: list[tuple[str, str]] = [
    ("login", "/login"),
    ("home", "/"),
    ("quality", "/quality"),
    ("quality_failing", "/quality?status=failing&source=warehouse"),
    ("compliance", "/compliance"),
    ("compliance_all", "/compliance?status=all"),
    ("finding", "/compliance/findings/1"),
    ("lineage-picker", "/lineage"),
    ("lineage", "/lineage?focus=urn:sounding:warehouse:main.stg_orders"),
    ("lineage-columns", "/lineage?focus=urn:sounding:warehouse:main.stg_orders&level=column"),
    ("lineage-whole", "/lineage?focus=urn:sounding:warehouse:main.stg_orders&depth=max"),
    (
        "lineage-expand-json",
        "/lineage/graph.json?focus=urn:sounding:warehouse:main.stg_orders&expand=30",
    ),
    ("lineage-impact-csv", "/lineage/impact.csv?focus=urn:sounding:warehouse:main.stg_orders"),
    ("search", "/search?q=customer"),
    ("search_filtered", "/search?q=customer&type=column&label=PII"),
    ("search_browse", "/search?type=column&page=3"),
    ("search_suggest", "/search/suggest?q=cust"),
    ("asset", "/assets/{asset}"),
    ("asset_profile", "/assets/{asset}?tab=profile"),
    ("asset_lineage", "/assets/{asset}?tab=lineage"),
    ("asset_quality", "/assets/{asset}?tab=quality"),
    ("asset_usage", "/assets/{asset}?tab=usage"),
    ("asset_history", "/assets/{asset}?tab=history"),
    ("asset_compliance", "/assets/{asset}?tab=compliance"),
    ("review", "/review?status=pending"),
    ("review_filtered", "/review?label=PII&source=warehouse&min_conf=90"),
    ("glossary", "/glossary"),
    ("glossary_term", "/glossary/terms/7"),
    ("glossary_suggestions", "/glossary/suggestions"),
]
TIMING = re.compile(r"app;dur=([0-9.]+)")


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def _widest_table(client: httpx.Client, token: str) -> str:
    answer = client.get(
        "/api/v1/assets",
        params={"type": "table", "limit": 1000},
        headers={"Authorization": f"Bearer {token}"},
    )
    tables = answer.json()["items"]
    return str(max(tables, key=lambda t: len(t.get("columns") or []) or t["id"])["id"])


def measure(site: Site, runs: int, token: str) -> dict[str, dict[str, float | int]]:
    client = site.login("admin")
    asset = _widest_table(client, token)
    out: dict[str, dict[str, float | int]] = {}
    for name, path in PAGES:
        url = path.replace("{asset}", asset)
        server_ms, wall_ms = [], []
        status = 0
        client.get(url)  # untimed: the first answer opens what later ones reuse
        for _ in range(runs):
            started = time.perf_counter()
            answer = client.get(url)
            wall_ms.append((time.perf_counter() - started) * 1000)
            status = answer.status_code
            match = TIMING.search(answer.headers.get("server-timing", ""))
            if match:
                server_ms.append(float(match.group(1)))
        out[name] = {
            "status": status,
            "server_p50_ms": _quantile(server_ms, 0.5) if server_ms else -1,
            "server_p95_ms": _quantile(server_ms, 0.95) if server_ms else -1,
            "wall_p50_ms": _quantile(wall_ms, 0.5),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        password, token = build_demo(home)
        server = ServerProcess(home)
        server.token = token
        server.start(timeout=60)
        site = Site(server, {"admin": password})
        try:
            pages = measure(site, args.runs, token)
        finally:
            site.close()
    worst = max(p["server_p95_ms"] for p in pages.values())
    print(
        json.dumps({"bench": "ui_pages", "runs": args.runs, "worst_p95_ms": worst, "pages": pages})
    )


if __name__ == "__main__":
    main()
