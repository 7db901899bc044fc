"""Other requests while the server parses big SQL (issue 11, item 7).

Starts `sounding serve`, sends four concurrent ~1 MB SQL texts to ``/api/v1/lineage/parse``
(the default limits: two worker processes, a 2 s wait for one, a 10 s parse deadline) and
times ``GET /api/v1/me`` every 50 ms meanwhile; then a 50 MB body. Reports the parse answers,
``/me`` latency before and during the load, the server's resident memory before and after,
and the machine's load average (the figures mean little on a saturated machine).

    .venv/bin/python bench/heavy_requests.py

Prints one JSON line on stdout.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.testing.server import ServerProcess  # noqa: E402

STATEMENTS = 12_000  # ~0.97 MB


def _rss_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def _ms(values: list[float], q: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(len(values) * q))] * 1000, 1)


def main() -> None:
    sql = "".join(
        f"INSERT INTO t{i} SELECT a.x, b.y FROM a JOIN b ON a.id = b.id WHERE a.z > {i};\n"
        for i in range(STATEMENTS)
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "home")
        server.env.pop("SOUNDING_DATABASE_URL", None)
        server.start()
        assert server.proc is not None
        try:
            client = httpx.Client(base_url=server.base, headers=server.headers, timeout=120)
            rss_before = _rss_mb(server.proc.pid)
            idle = []
            for _ in range(20):
                started = time.monotonic()
                client.get("/api/v1/me")
                idle.append(time.monotonic() - started)
            answers: list[tuple[int, float]] = []

            def parse() -> None:
                started = time.monotonic()
                resp = client.post("/api/v1/lineage/parse", json={"sql": sql})
                answers.append((resp.status_code, round(time.monotonic() - started, 1)))

            threads = [threading.Thread(target=parse) for _ in range(4)]
            for t in threads:
                t.start()
            loaded = []
            while any(t.is_alive() for t in threads):
                started = time.monotonic()
                client.get("/api/v1/me")
                loaded.append(time.monotonic() - started)
                time.sleep(0.05)
            for t in threads:
                t.join()
            started = time.monotonic()
            big = client.post(
                "/api/v1/lineage/parse",
                content=b"x" * (50 * 1024 * 1024),
                headers={"Content-Type": "application/json"},
            )
            figures = {
                "bench": "heavy_requests",
                "sql_bytes": len(sql),
                "parse_answers": sorted(answers),
                "me_idle_median_ms": round(statistics.median(idle) * 1000, 1),
                "me_loaded_median_ms": _ms(loaded, 0.5),
                "me_loaded_p95_ms": _ms(loaded, 0.95),
                "me_loaded_max_ms": _ms(loaded, 1.0),
                "me_samples": len(loaded),
                "rss_before_mb": rss_before,
                "rss_after_mb": _rss_mb(server.proc.pid),
                "body_50mb_status": big.status_code,
                "body_50mb_seconds": round(time.monotonic() - started, 2),
                "load_average_1m": float(Path("/proc/loadavg").read_text().split()[0]),
                "cores": os.cpu_count(),
            }
            client.close()
        finally:
            server.stop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
