"""Compliance evaluation speed on a generated catalog.

A SQLite source with ``--tables`` tables of 12 columns (an email, a name, a card number, full
or masked by turns, and nine plain columns; 50 rows each) is scanned with classification,
then every built-in framework is evaluated over it twice: the first run opens the findings,
the second finds nothing new (idempotent) and measures the steady state a nightly run sees.

    .venv/bin/python bench/compliance.py [--tables 200]

Each timed step starts from a collected heap (``gc.collect()`` before its timer, as ``timeit``
keeps collections out of what it times): otherwise a full collection owed by the steps before
(store creation, imports) falls inside whichever step crosses CPython's threshold, and which
one that is depends on how many objects the process imported, not on the step's own work.
The collections that still happen inside a step are timed (``gc_s`` per step). Runs on an
older tree too (``bench/compare.py`` runs this script against bd5d3ba's ``src``).

Prints one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cryptography.fernet import Fernet  # noqa: E402

from sounding.config import Settings  # noqa: E402
from sounding.domain.auth import Principal, Role  # noqa: E402
from sounding.domain.scans import ScanOptions  # noqa: E402
from sounding.services import scans, sources  # noqa: E402

try:
    from sounding.features.compliance import findings as compliance_findings
    from sounding.features.compliance import service as compliance
except ModuleNotFoundError as missing:  # a tree from before compliance became a package
    if missing.name not in ("sounding.features", "sounding.features.compliance"):
        raise
    from sounding.services import compliance, compliance_findings  # type: ignore[no-redef]
from sounding.services.context import build_context  # noqa: E402

T = TypeVar("T")


def _pan(i: int) -> str:
    body = f"4{i:014d}"
    total = 0
    for n, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if n % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def build_source(path: Path, tables: int) -> None:
    conn = sqlite3.connect(path)
    plain = ", ".join(f"c{k} INTEGER" for k in range(9))
    for t in range(tables):
        conn.execute(
            f"CREATE TABLE t{t:04d} (id INTEGER PRIMARY KEY, email TEXT, full_name TEXT, "
            f"card_number TEXT, {plain})"
        )
        rows = [
            (
                i,
                f"user{t}_{i}@example.com",
                f"Person {i} Example",
                _pan(t * 100 + i) if t % 2 == 0 else f"**** **** **** {i:04d}",
                *range(9),
            )
            for i in range(50)
        ]
        conn.executemany(f"INSERT INTO t{t:04d} VALUES ({', '.join('?' * 13)})", rows)
    conn.commit()
    conn.close()


GC_SECONDS: dict[str, float] = {}


def timed(step: str, call: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``call`` takes from a collected heap, and its result; the time of the
    collections inside it goes to ``GC_SECONDS[step]``."""
    began: list[float] = []
    spent = 0.0

    def watch(phase: str, info: dict[str, int]) -> None:
        nonlocal spent
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            spent += time.perf_counter() - began.pop()

    gc.collect()
    gc.callbacks.append(watch)
    try:
        started = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - started
    finally:
        gc.callbacks.remove(watch)
    GC_SECONDS[step] = spent
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, default=200)
    args = parser.parse_args()
    actor = Principal("bench", Role.ADMIN)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "source.db"
        build_source(db, args.tables)
        settings = Settings(home=Path(tmp) / "home", secret_key=Fernet.generate_key().decode())
        ctx = build_context(settings)
        try:
            sources.add(ctx, actor, "bench", f"sqlite:///{db}")
            scan_s, _ = timed(
                "scan",
                lambda: scans.run_scan(ctx, actor, "bench", options=ScanOptions(classify=True)),
            )
            first_s, first = timed(
                "first_evaluation", lambda: compliance.evaluate(ctx, actor, "bench")
            )
            second_s, second = timed(
                "re_evaluation", lambda: compliance.evaluate(ctx, actor, "bench")
            )
            report_s, _ = timed(
                "pci_html_report",
                lambda: compliance_findings.render_report(ctx, actor, "pci_dss", "html"),
            )
        finally:
            ctx.close()
    assets = args.tables * 13
    print(
        json.dumps(
            {
                "bench": "compliance",
                "tables": args.tables,
                "assets": assets,
                "scan_with_classify_s": round(scan_s, 2),
                "first_evaluation_s": round(first_s, 3),
                "findings_opened": first.opened,
                "re_evaluation_s": round(second_s, 3),
                "re_evaluation_new_findings": second.opened + second.reopened,
                "assets_per_s_steady": round(assets / second_s),
                "pci_html_report_s": round(report_s, 3),
                "gc_s": {step: round(seconds, 3) for step, seconds in GC_SECONDS.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
