"""Search-as-you-type in the web UI at catalog scale: server time of ``/search/suggest``.

Writes ``--assets`` (default 100,000) catalog assets straight into a new store through the
store's bulk insert (the path a scan's discovery takes): tables and views named from
data-warehouse vocabularies with about 30 columns each, owners, domains and tags, generated
by ``bench/search_speed.py``. Starts a real ``sounding serve`` on it (its first start builds
the search index from the store), logs in through the login form, and asks the suggestion
fragment for ``--queries`` prefixes as a person types them (2 to 8 letters of table and
column names, some matching nothing), reading the server's own time from each answer's
``Server-Timing`` header. Also times the full search page for a few of the same words.
Goal (issue 14): p95 ≤ 30 ms server time for the fragment at 100,000 assets.

    .venv/bin/python bench/ui_search.py [--assets 100000] [--queries 400]

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.ui.site import _cli  # noqa: E402

from search_speed import generate  # noqa: E402
from sounding.config import Settings  # noqa: E402
from sounding.services.context import build_context  # noqa: E402
from sounding.store.repos import assets as asset_repo  # noqa: E402
from sounding.store.repos import sources as source_repo  # noqa: E402
from sounding.testing.server import ServerProcess  # noqa: E402

PASSWORD = "bench-pass-1"  # noqa: S105 (a throwaway user of a temporary store)
TIMING = "app;dur="
BATCH = 5000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _row(doc: Any, source_id: int, parent: int | None, now: datetime) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "parent_id": parent,
        "urn": doc.urn,
        "type": doc.type,
        "name": doc.name,
        "qualified_name": doc.qualified_name,
        "description": doc.description,
        "owner": doc.owner,
        "domain": doc.domain,
        "tags": list(doc.tags),
        "criticality": doc.criticality,
        "lifecycle": doc.lifecycle,
        "first_seen": now,
        "last_seen": now,
        "updated_at": now,
    }


def build_store(home: Path, total: int) -> tuple[float, list[str]]:
    """``total`` assets in a new store at ``home``; returns seconds taken and the names."""
    started = time.perf_counter()
    ctx = build_context(Settings(home=home))
    now = datetime.now(UTC)
    names: list[str] = []
    try:
        with ctx.db.write() as conn:
            source_ids: dict[str, int] = {}
            objects: list[Any] = []
            columns: list[Any] = []

            def flush() -> None:
                rows = [_row(d, source_ids[d.source], None, now) for d in objects]
                ids = asset_repo.insert_many(conn, rows) if rows else {}
                cols = [
                    _row(d, source_ids[d.source], ids[d.urn.split("#")[0]], now) for d in columns
                ]
                if cols:
                    asset_repo.insert_many(conn, cols)
                objects.clear()
                columns.clear()

            for doc in generate(total):
                if doc.source not in source_ids:
                    source_ids[doc.source] = source_repo.insert(
                        conn,
                        {
                            "name": doc.source,
                            "kind": "sqlite",
                            "url_encrypted": "bench",
                            "url_redacted": "sqlite:///bench.db",
                            "options": {},
                        },
                    )
                if doc.type == "column":
                    columns.append(doc)
                else:
                    if len(objects) + len(columns) >= BATCH:
                        flush()
                    objects.append(doc)
                names.append(doc.name)
            flush()
    finally:
        ctx.stop()
    return time.perf_counter() - started, names


def prefixes(names: list[str], count: int, seed: int = 7) -> list[str]:
    """What people type: the first 2 to 8 letters of names, one in ten matching nothing."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        if rng.random() < 0.1:
            out.append("".join(rng.choice("qxzjkv") for _ in range(rng.randint(3, 6))))
            continue
        name = rng.choice(names)
        out.append(name[: rng.randint(2, min(8, max(2, len(name))))])
    return out


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 1)

    return {"p50_ms": q(0.5), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": q(1.0)}


def server_ms(answer: httpx.Response) -> float:
    header = answer.headers.get("server-timing", "")
    assert TIMING in header, f"no Server-Timing on {answer.request.url}"
    return float(header.split(TIMING)[1].split(",")[0].split(";")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        log(f"writing {args.assets:,} assets into a new store ...")
        build_s, names = build_store(home, args.assets)
        log(f"  {build_s:.1f} s; starting the server (it indexes the catalog) ...")
        server = ServerProcess(home)
        started = time.perf_counter()
        server.start(timeout=600)
        _cli(
            home, "user", "create", "bench", "--role", "viewer", "--password-stdin", stdin=PASSWORD
        )
        client = httpx.Client(base_url=server.base, timeout=120)
        try:
            answer = client.post(
                "/login", data={"username": "bench", "password": PASSWORD, "next": "/"}
            )
            assert answer.status_code == 303, answer.text[:300]
            first = client.get("/search/suggest", params={"q": "cus"})  # index built by now
            assert first.status_code == 200, first.text[:300]
            ready_s = time.perf_counter() - started
            log(f"  ready in {ready_s:.1f} s; {args.queries} suggestion requests ...")
            typed = prefixes(names, args.queries)
            for text in typed[:20]:  # warm up
                client.get("/search/suggest", params={"q": text})
            times, wall, offered = [], [], 0
            for text in typed:
                t0 = time.perf_counter()
                got = client.get("/search/suggest", params={"q": text})
                wall.append((time.perf_counter() - t0) * 1000)
                assert got.status_code == 200, got.text[:300]
                times.append(server_ms(got))
                offered += got.text.count('data-href="/assets/')
            pages = []
            for text in typed[:40]:
                got = client.get("/search", params={"q": text})
                assert got.status_code == 200, got.text[:300]
                pages.append(server_ms(got))
        finally:
            client.close()
            server.stop()
    print(
        json.dumps(
            {
                "bench": "ui_search_suggest",
                "assets": args.assets,
                "queries": len(times),
                "store_write_s": round(build_s, 1),
                "server_ready_s": round(ready_s, 1),
                "suggest_server": quantiles(times),
                "suggest_wall_p50_ms": quantiles(wall)["p50_ms"],
                "assets_offered_per_query": round(offered / len(times), 1),
                "search_page_server": quantiles(pages),
                "goal_p95_ms": 30,
            }
        )
    )


if __name__ == "__main__":
    main()
