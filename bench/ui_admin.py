"""Administration pages with a long audit log: server time per page through a real
``sounding serve``.

Starts a server on a fresh home (SQLite), fills the audit log with ``--records`` rows (50
actors, 8 actions, 1,000 targets, one a second), logs in as the admin, then requests each page
of :data:`PAGES` ``--runs`` times and reads the server's own time from each answer's
``Server-Timing`` header. Goal (as the other list pages of issue 15): p95 ≤ 50 ms for the
unfiltered list; filters on columns without an index (actor, action, target) scan the log.

    .venv/bin/python bench/ui_admin.py [--records 200000] [--runs 30]

Prints one JSON line on stdout: per page, p50/p95 server ms and p50 wall ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.conftest import make_settings  # noqa: E402

from sounding.services.context import build_context  # noqa: E402
from sounding.store.tables import audit_log  # noqa: E402
from sounding.testing.server import ServerProcess  # noqa: E402

ACTIONS = ("user.create", "token.create", "token.revoke", "session.login", "asset.update")
ACTIONS += ("classification.confirm", "glossary.approve", "scan.start")
PAGES: list[tuple[str, str]] = [
    ("audit", "/admin/audit"),
    ("audit_page_200", "/admin/audit?page=200"),
    ("audit_actor_action", "/admin/audit?actor=user7&action=token.create"),
    ("audit_target", "/admin/audit?target=t42"),
    ("audit_last_hour", "/admin/audit?since={hour_ago}"),
    ("users", "/admin/users"),
    ("tokens", "/admin/tokens"),
    ("health", "/admin/health"),
]
TIMING = re.compile(r"app;dur=([0-9.]+)")
PASSWORD = "bench-admin-pass"  # noqa: S105 (a throw-away store)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)


def _fill(home: Path, records: int) -> None:
    ctx = build_context(make_settings(home))
    now = datetime.now(UTC)
    try:
        with ctx.db.write() as conn:
            for start in range(0, records, 10_000):
                rows = [
                    {
                        "at": now - timedelta(seconds=records - i),
                        "actor": f"user{i % 50}",
                        "action": ACTIONS[i % len(ACTIONS)],
                        "target_type": "user",
                        "target": f"t{i % 1000}",
                        "details": {"i": i},
                    }
                    for i in range(start, min(records, start + 10_000))
                ]
                conn.execute(sa.insert(audit_log), rows)
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        server = ServerProcess(home)
        server.start(timeout=60)
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "sounding.cli",
                    "user",
                    "set-password",
                    "admin",
                    "--password-stdin",
                ],
                input=PASSWORD + "\n",
                env={**os.environ, "SOUNDING_HOME": str(home)},
                check=True,
                capture_output=True,
                text=True,
            )
            _fill(home, args.records)
            client = httpx.Client(base_url=server.base, timeout=60)
            login = client.post("/login", data={"username": "admin", "password": PASSWORD})
            assert login.status_code == 303, login.text[:300]
            hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
            result: dict[str, object] = {"records": args.records, "runs": args.runs}
            for name, path in PAGES:
                url = path.format(hour_ago=hour_ago)
                server_ms: list[float] = []
                wall_ms: list[float] = []
                for _ in range(args.runs + 2):  # the first two warm caches
                    started = time.perf_counter()
                    answer = client.get(url)
                    wall_ms.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (url, answer.status_code)
                    match = TIMING.search(answer.headers.get("server-timing", ""))
                    assert match, "no Server-Timing header"
                    server_ms.append(float(match.group(1)))
                server_ms, wall_ms = server_ms[2:], wall_ms[2:]
                result[name] = {
                    "server_p50_ms": _quantile(server_ms, 0.5),
                    "server_p95_ms": _quantile(server_ms, 0.95),
                    "wall_p50_ms": _quantile(wall_ms, 0.5),
                }
            client.close()
        finally:
            server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
