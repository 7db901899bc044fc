"""The source pages at 1,000 sources: server time of ``/sources`` and a source's page.

Writes ``--sources`` (default 1,000) sources straight into a new store through the store's
repositories, each with ``--tables`` tables of 12 columns (live assets, as discovery writes
them) and ``--scans`` finished scan runs with their reports (the newest of a few sources
failed, a few still running). Starts a real ``sounding serve`` on it, logs in through the
login form as an admin, builds the search index (once per new store, in the server's
process: so that it does not run while pages are timed), and requests each page in
:data:`PAGES` ``--runs`` times, reading the server's own time from each answer's
``Server-Timing`` header. The list is paged (50 a page),
so it never renders 1,000 rows. Goal (issue 15): p95 ≤ 50 ms server time for the list.

    .venv/bin/python bench/ui_sources.py [--sources 1000] [--tables 20] [--scans 5] [--runs 100]

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.ui.site import _cli  # noqa: E402

from sounding.config import Settings  # noqa: E402
from sounding.services.context import build_context  # noqa: E402
from sounding.store.repos import assets as asset_repo  # noqa: E402
from sounding.store.repos import scans as scan_repo  # noqa: E402
from sounding.store.repos import sources as source_repo  # noqa: E402

from sounding.testing.server import ServerProcess  # noqa: E402  # isort: skip

PASSWORD = "bench-pass-1"  # noqa: S105 (a throwaway user of a temporary store)
TIMING = "app;dur="
COLUMNS = 12
KINDS = ("sql", "duckdb", "files")

PAGES: list[tuple[str, str]] = [
    ("list", "/sources"),
    ("list_by_last_scan", "/sources?sort=last_scan&order=desc"),
    ("list_by_kind_page_10", "/sources?sort=kind&page=10"),
    ("list_last_page", "/sources?page=20"),
    ("list_filtered", "/sources?q=src-04&kind=sql"),
    ("source", "/sources/{mid}"),
    ("scan_changes", "/sources/{mid}/scans/{scan}"),
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _asset(
    source_id: int, parent: int | None, kind: str, name: str, qn: str, now: datetime
) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "parent_id": parent,
        "urn": f"urn:sounding:bench:{source_id}:{qn}",
        "type": kind,
        "name": name,
        "qualified_name": qn,
        "tags": [],
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
    }


def build_store(home: Path, sources: int, tables: int, scans: int) -> tuple[float, int]:
    """The sources, their assets and scan runs; returns seconds taken and the newest scan id
    of the source in the middle (:func:`middle`)."""
    started = time.perf_counter()
    ctx = build_context(Settings(home=home))
    now = datetime.now(UTC)
    watched = 0
    try:
        for i in range(sources):
            name = f"src-{i:04}"
            with ctx.db.write() as conn:
                url = f"postgresql://bench:secret-{i}@db{i}.example:5432/shop"
                source_id = source_repo.insert(
                    conn,
                    {
                        "name": name,
                        "kind": KINDS[i % len(KINDS)],
                        "url_encrypted": ctx.secrets.encrypt(url),
                        "url_redacted": "postgresql://bench:***@db.example:5432/shop",
                        "options": {"max_concurrent": 4} if i % 7 == 0 else {},
                        "description": f"Bench source {i}" if i % 3 == 0 else None,
                    },
                )
                objects = [
                    _asset(source_id, None, "table", f"t{t}", f"main.t{t}", now)
                    for t in range(tables)
                ]
                ids = asset_repo.insert_many(conn, objects)
                columns = [
                    _asset(source_id, ids[o["urn"]], "column", f"c{c}", f"{qn}.c{c}", now)
                    for o in objects
                    for qn in (o["qualified_name"],)
                    for c in range(COLUMNS)
                ]
                for at in range(0, len(columns), 5000):
                    asset_repo.insert_many(conn, columns[at : at + 5000])
                for s in range(scans):
                    last = s == scans - 1
                    status = "completed"
                    if last and i % 50 == 0:
                        status = "failed"
                    elif last and i % 97 == 0:
                        status = "running"
                    scan_id = scan_repo.insert(conn, source_id, "discovery", status, "bench")
                    at = now - timedelta(hours=(scans - s) * 6, minutes=i % 60)
                    report = {
                        "objects_total": tables,
                        "created": tables * (COLUMNS + 1) if s == 0 else 0,
                        "updated": s % 2,
                        "schema_changed": 1 if s == 2 else 0,
                        "deleted": 0,
                        "failures_total": 0,
                    }
                    scan_repo.update(
                        conn,
                        scan_id,
                        {
                            "created_at": at,
                            "started_at": at,
                            "finished_at": None if status == "running" else at + timedelta(0, 9),
                            "objects_total": tables,
                            "objects_done": tables // 2 if status == "running" else tables,
                            "report": report,
                            "error": "Failed to connect" if status == "failed" else None,
                        },
                    )
                    if name == middle(sources):
                        watched = scan_id
                source_repo.update(conn, source_id, {"last_scan_at": now - timedelta(minutes=i)})
            if i % 100 == 99:
                log(f"  {i + 1:,} sources")
    finally:
        ctx.stop()
    return time.perf_counter() - started, watched


def middle(sources: int) -> str:
    return f"src-{sources // 2:04}"


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 1)

    return {"p50_ms": q(0.5), "p95_ms": q(0.95), "max_ms": q(1.0)}


def server_ms(answer: httpx.Response) -> float:
    header = answer.headers.get("server-timing", "")
    assert TIMING in header, f"no Server-Timing on {answer.request.url}"
    return float(header.split(TIMING)[1].split(",")[0].split(";")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--scans", type=int, default=5)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        log(f"writing {args.sources:,} sources into a new store ...")
        build_s, scan = build_store(home, args.sources, args.tables, args.scans)
        log(f"  {build_s:.1f} s; starting the server ...")
        server = ServerProcess(home)
        server.start(timeout=600)
        _cli(home, "user", "create", "bench", "--role", "admin", "--password-stdin", stdin=PASSWORD)
        client = httpx.Client(base_url=server.base, timeout=120)
        pages: dict[str, Any] = {}
        try:
            answer = client.post(
                "/login", data={"username": "bench", "password": PASSWORD, "next": "/"}
            )
            assert answer.status_code == 303, answer.text[:300]
            # the search index of a new store is built once, on first use, in the server's
            # process: build it now, so that it does not compete with the pages measured
            log("  building the search index ...")
            built = client.get("/search/suggest", params={"q": "t1"}, timeout=1200)
            assert built.status_code == 200, built.text[:300]
            for key, path in PAGES:
                url = path.replace("{scan}", str(scan)).replace("{mid}", middle(args.sources))
                for _ in range(5):  # warm up
                    client.get(url)
                times, wall = [], []
                rows = 0
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    got = client.get(url)
                    wall.append((time.perf_counter() - t0) * 1000)
                    assert got.status_code == 200, (url, got.status_code, got.text[:300])
                    times.append(server_ms(got))
                    rows = got.text.count("<tr")
                wall_p50 = quantiles(wall)["p50_ms"]
                pages[key] = {**quantiles(times), "wall_p50_ms": wall_p50, "rows": rows}
                log(f"  {key}: {pages[key]}")
        finally:
            client.close()
            server.stop()
    lists = [v["p95_ms"] for k, v in pages.items() if k.startswith("list")]
    print(
        json.dumps(
            {
                "bench": "ui_sources",
                "sources": args.sources,
                "assets": args.sources * args.tables * (COLUMNS + 1),
                "scan_runs": args.sources * args.scans,
                "runs": args.runs,
                "store_write_s": round(build_s, 1),
                "list_worst_p95_ms": max(lists),
                "pages": pages,
                "goal_p95_ms": 50,
            }
        )
    )


if __name__ == "__main__":
    main()
