"""Lineage throughput: statements per second, ours against sqllineage (a peer).

Statements: every query of tpch_queries.jsonl (22 large ones) and every statement of
sqlglot_identity_statements.jsonl (980 small ones covering much syntax). Both tools do the
same work per statement: table lineage (sources, targets) and column lineage, one statement at
a time, errors included (a statement a tool cannot parse still costs its time).

sqllineage is installed on first use into its own virtual environment under
bench/.peer-venvs/sqllineage (git-ignored; never a project dependency) and run there in a
subprocess over the same statements; imports are not timed for either tool.

    .venv/bin/python bench/lineage_speed.py [--repeat 3] [--no-peer]

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sounding.lineage.parse import parse_lineage  # noqa: E402
from sounding.testing.corpora import corpora_dir  # noqa: E402

CORPORA = corpora_dir(ROOT)
PEER_VENV = ROOT / "bench" / ".peer-venvs" / "sqllineage"
PEER_TIMEOUT = 3600

PEER_RUNNER = r"""
import json, logging, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
from sqllineage.runner import LineageRunner
statements = json.load(open(sys.argv[1]))
times, failed = {}, 0
for group, sqls in statements.items():
    started = time.perf_counter()
    for sql in sqls:
        try:
            runner = LineageRunner(sql, dialect="ansi", silent_mode=True)
            runner.source_tables
            runner.target_tables
            runner.get_column_lineage()
        except Exception:
            failed += 1
    times[group] = time.perf_counter() - started
import sqllineage
print(json.dumps({"seconds": times, "failed": failed, "version": sqllineage.VERSION}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_statements() -> dict[str, list[str]]:
    folder = CORPORA / "lineage"
    return {
        name: [json.loads(line)["sql"] for line in (folder / file).read_text().splitlines()]
        for name, file in (
            ("tpch", "tpch_queries.jsonl"),
            ("identity", "sqlglot_identity_statements.jsonl"),
        )
    }


def time_ours(statements: dict[str, list[str]], repeat: int) -> dict[str, Any]:
    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
    best: dict[str, float] = {}
    failed = 0
    for round_ in range(repeat):
        for group, sqls in statements.items():
            started = time.perf_counter()
            errors = sum(1 for sql in sqls if parse_lineage(sql, "ansi").errors)
            elapsed = time.perf_counter() - started
            best[group] = min(best.get(group, elapsed), elapsed)
            if round_ == 0:
                failed += errors
        log(f"ours: round {round_ + 1}/{repeat} {best}")
    return {"seconds": best, "failed": failed}


def ensure_peer() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        log(f"creating {PEER_VENV} and installing sqllineage (first run only)")
        venv.create(PEER_VENV, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "sqllineage"],
            check=True,
            stdout=sys.stderr,
        )
    return python


def time_peer(statements: dict[str, list[str]]) -> dict[str, Any]:
    python = ensure_peer()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "statements.json"
        runner = Path(tmp) / "runner.py"
        data.write_text(json.dumps(statements))
        runner.write_text(PEER_RUNNER)
        log("peer: running sqllineage (slow)")
        done = subprocess.run(
            [str(python), str(runner), str(data)],
            capture_output=True,
            text=True,
            timeout=PEER_TIMEOUT,
            check=True,
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def rates(statements: dict[str, list[str]], seconds: dict[str, float]) -> dict[str, float]:
    out = {group: round(len(statements[group]) / seconds[group], 1) for group in statements}
    total = sum(len(s) for s in statements.values())
    out["all"] = round(total / sum(seconds.values()), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N rounds for ours")
    parser.add_argument("--no-peer", action="store_true", help="skip sqllineage")
    args = parser.parse_args()
    statements = load_statements()
    ours = time_ours(statements, args.repeat)
    figures: dict[str, Any] = {
        "statements": {group: len(sqls) for group, sqls in statements.items()},
        "ours_per_second": rates(statements, ours["seconds"]),
        "ours_failed": ours["failed"],
    }
    if not args.no_peer:
        peer = time_peer(statements)
        figures["peer"] = f"sqllineage {peer['version']}"
        figures["peer_per_second"] = rates(statements, peer["seconds"])
        figures["peer_failed"] = peer["failed"]
        figures["ratio"] = {
            group: round(figures["ours_per_second"][group] / rate, 1)
            for group, rate in figures["peer_per_second"].items()
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
