"""The asset page of a 1,000-column table: server time, and first paint in headless Chromium.

Builds a SQLite database with one table of ``--columns`` columns (every 25th an e-mail
column, so the schema tab has labels to review) and ``--rows`` rows, scans it with profiling
and classification into a temporary home, starts ``sounding serve``, logs in as a steward,
then:

- requests ``/assets/{id}`` (schema tab) and ``?tab=profile`` ``--runs`` times each, reading
  the server's own time from ``Server-Timing``;
- opens the schema tab in Debian's headless Chromium ``--paints`` times (a fresh page each
  time, logged in by cookie) and reads ``first-contentful-paint`` from the Paint Timing API.

Goals (issue 14): server ≤ 300 ms, first paint ≤ 1.5 s.

    .venv/bin/python bench/ui_wide_asset.py [--columns 1000] [--runs 20] [--paints 5]

Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.testing.server import ServerProcess  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
PASSWORD = "bench-steward-1"  # noqa: S105 (a throwaway account of a temporary home)
TIMING = re.compile(r"app;dur=([0-9.]+)")


def _cli(home: Path, *args: str, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOUNDING_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "sounding.cli", *args],
        env={**env, "SOUNDING_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"sounding {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def build_table(path: Path, columns: int, rows: int) -> None:
    names = [f"email_{i:04d}" if i % 25 == 1 else f"c{i:04d}" for i in range(columns)]
    kinds = ["INTEGER" if i % 3 == 0 else "TEXT" for i in range(columns)]
    kinds[0] = "INTEGER PRIMARY KEY"
    with sqlite3.connect(path) as conn:
        cols = ", ".join(f'"{n}" {k}' for n, k in zip(names, kinds, strict=True))
        conn.execute(f"CREATE TABLE wide ({cols})")
        marks = ", ".join("?" * columns)
        data = []
        for r in range(rows):
            row: list[Any] = []
            for i, name in enumerate(names):
                if i == 0:
                    row.append(r + 1)
                elif name.startswith("email_"):
                    row.append(f"person{r}.{i}@example.org")
                elif kinds[i] == "INTEGER":
                    row.append(None if r % 7 == 0 else (r * i) % 997)
                else:
                    row.append(f"v{(r + i) % 40}")
            data.append(row)
        conn.executemany(f"INSERT INTO wide VALUES ({marks})", data)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def server_times(client: httpx.Client, url: str, runs: int) -> dict[str, float]:
    client.get(url)  # warm-up: the first answer also compiles the page's templates
    server, wall, size = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        size = len(answer.content)
        match = TIMING.search(answer.headers.get("server-timing", ""))
        if match:
            server.append(float(match.group(1)))
    return {
        "server_p50_ms": _quantile(server, 0.5),
        "server_p95_ms": _quantile(server, 0.95),
        "wall_p50_ms": _quantile(wall, 0.5),
        "bytes": size,
    }


def first_paints(base: str, cookie: str, url: str, paints: int) -> dict[str, float] | str:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright missing"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} missing"
    args = ["--disable-dev-shm-usage", "--disable-gpu"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    fcp, loaded = [], []
    host = base.split("//", 1)[1].split(":", 1)[0]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            for _ in range(paints):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies(
                    [{"name": "sounding_session", "value": cookie, "domain": host, "path": "/"}]
                )
                page = context.new_page()
                page.goto(base + url, wait_until="load")
                timing = page.evaluate(
                    """() => new Promise((resolve) => {
                        const n = performance.getEntriesByType('navigation')[0];
                        const load = n ? n.loadEventEnd : -1;
                        new PerformanceObserver((list) => {
                            for (const e of list.getEntries()) {
                                if (e.name === 'first-contentful-paint') {
                                    resolve([e.startTime, load]);
                                }
                            }
                        }).observe({type: 'paint', buffered: true});
                        setTimeout(() => resolve([-1, load]), 10000);
                    })"""
                )
                fcp.append(float(timing[0]))
                loaded.append(float(timing[1]))
                context.close()
        finally:
            browser.close()
    return {
        "first_paint_p50_ms": _quantile(fcp, 0.5),
        "first_paint_max_ms": round(max(fcp), 1),
        "load_p50_ms": _quantile(loaded, 0.5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--columns", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--paints", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, db = Path(tmp) / "home", Path(tmp) / "wide.db"
        build_table(db, args.columns, args.rows)
        started = time.perf_counter()
        _cli(home, "source", "add", "wide", f"sqlite:///{db}")
        _cli(home, "scan", "wide", "--profile", "--classify", "--sample", "full")
        scan_s = round(time.perf_counter() - started, 1)
        _cli(home, "user", "create", "bench", "--role", "steward", "--password-stdin",
             stdin=PASSWORD + "\n")  # fmt: skip
        server = ServerProcess(home)
        server.token = "-"  # noqa: S105 (a user exists, so no bootstrap token is printed)
        server.start(timeout=60)
        try:
            client = httpx.Client(base_url=server.base, timeout=60)
            login = client.post("/login", data={"username": "bench", "password": PASSWORD})
            assert login.status_code == 303, login.text[:300]
            found = client.get("/assets/by-urn", params={"urn": "urn:sounding:wide:wide"})
            if found.status_code != 303:
                found = client.get("/assets/by-urn", params={"urn": "urn:sounding:wide:main.wide"})
            assert found.status_code == 303, found.text[:300]
            url = found.headers["location"]
            schema = server_times(client, url, args.runs)
            profile = server_times(client, url + "?tab=profile", args.runs)
            paint = first_paints(server.base, client.cookies["sounding_session"], url, args.paints)
            client.close()
        finally:
            server.stop()
    print(
        json.dumps(
            {
                "bench": "ui_wide_asset",
                "columns": args.columns,
                "rows": args.rows,
                "runs": args.runs,
                "scan_s": scan_s,
                "load_average": round(os.getloadavg()[0], 1),  # a shared machine: say how busy
                "schema_tab": schema,
                "profile_tab": profile,
                "chromium": paint,
            }
        )
    )


if __name__ == "__main__":
    main()
