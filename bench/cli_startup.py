"""CLI start-up: wall-clock seconds of ``sounding --help``, ``sounding --version`` and
``sounding assets list`` on a small store, and of ``python -c pass`` for reference.

Each command is a fresh process (``python -m sounding.cli``, as the ``sounding`` script runs
it) with the source tree ``--src`` first on PYTHONPATH, so the same script times another
checkout (``--src ../main/src``: before a change). The store is built first, untimed, by that
same tree: a SQLite source of 12 tables, registered and scanned; ``--home .sounding-demo``
times an existing store instead (the demo's).

    .venv/bin/python bench/cli_startup.py [--repeat 5] [--src src] [--home DIR]

Prints one JSON line on stdout: the median of ``--repeat`` runs of each command.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make_source(path: Path, tables: int = 12) -> None:
    with sqlite3.connect(path) as conn:
        for i in range(tables):
            conn.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT, amount REAL)")
            conn.executemany(
                f"INSERT INTO t{i} (name, amount) VALUES (?, ?)",
                [(f"n{j}", j * 1.5) for j in range(100)],
            )


def _time(cmd: list[str], env: dict[str, str], repeat: int) -> tuple[float, int]:
    runs, code = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, check=False)
        runs.append(time.perf_counter() - started)
        code = done.returncode
    return round(statistics.median(runs), 3), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--home", type=Path, help="an existing store to list (default: built)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home.resolve() if args.home else Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOUNDING_")}
        env.update(PYTHONPATH=str(args.src.resolve()), SOUNDING_HOME=str(home), COLUMNS="120")
        cli = [sys.executable, "-m", "sounding.cli"]
        if args.home is None:
            _make_source(Path(tmp) / "shop.db")
            for setup in (["source", "add", "shop", f"sqlite:///{tmp}/shop.db"], ["scan", "shop"]):
                subprocess.run([*cli, *setup], env=env, capture_output=True, check=True)
        figures: dict[str, object] = {
            "repeat": args.repeat,
            "src": str(args.src),
            "home": str(args.home or "built: 12 tables"),
            "load_average_1m": os.getloadavg()[0],
        }
        commands = {
            "python_c_pass": [sys.executable, "-c", "pass"],
            "help": [*cli, "--help"],
            "version": [*cli, "--version"],
            "assets_list": [*cli, "assets", "list"],
        }
        for name, cmd in commands.items():
            seconds, code = _time(cmd, env, args.repeat)
            figures[f"{name}_s"] = seconds
            if code != 0:
                figures[f"{name}_exit_code"] = code
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
