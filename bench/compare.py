"""Before and after, back to back: run a benchmark on two source trees alternately, compare medians.

Usage::

    .venv/bin/python bench/compare.py --old ../old [--new .] [--runs N] [--only discovery ...]
    .venv/bin/python bench/compare.py --list
    .venv/bin/python bench/compare.py --old A --new B --command "{tree}/bench/x.py --n 10" \\
        --figure seconds:lower --figure rows_per_s:higher

For each benchmark it runs the OLD tree, then the NEW one, then OLD again, ... ``--runs`` times
each, every run a fresh subprocess of the same interpreter (``--python``, default this one) with
``PYTHONPATH=<tree>/src`` and the working directory ``<tree>``. Alternating spreads the machine's
changing load over both sides. The bench's stdout must hold one JSON object per line (the last
line with a figure wins; a bench that prints several lines, one per set or mode, is merged by
the key named in ``key_by``). One JSON line per figure is printed::

    {"bench", "figure", "old_median", "new_median", "ratio", "better", "tolerance",
     "within_10pct_or_better", "runs", "loadavg", "old_values", "new_values", ...}

Every bench also gets the figure ``process_cpu_s``: the CPU seconds (user + system) of the
whole bench process and of the processes it waited for, setup included. On a loaded machine
it moves far less than wall-clock figures do, so it tells a slower program from a busier
machine. ``ratio`` is new / old. A figure is within when it is no worse than ``tolerance`` (0.10 for
speed; 0 for accuracy figures, which must not drop): lower-better ``new <= old * (1 + tol)``,
higher-better ``new >= old * (1 - tol)``. ``loadavg`` is ``os.getloadavg()`` when the bench's
last run ended; ``loadavg_1m_runs`` the 1-minute load before each run, in run order.

Both trees run from compiled bytecode, as an installed Sounding does (``pip install`` writes
the ``.pyc`` files): before the first run each tree's ``src`` is compiled (``compileall``) and
``PYTHONDONTWRITEBYTECODE`` is left out of the runs' environment. With it set and no
``__pycache__``, every run compiled every module it imported from source first: about 0.4 s of
a server's 2 s start here, and more for the tree with more code.

Where the script is taken from (``script`` in the table):

- ``own``: each tree runs its own ``bench/X.py`` (the old script measures the same thing);
- ``new``: the NEW tree's ``bench/X.py`` runs against each tree's ``src``: ``sounding`` is
  imported from ``<tree>/src`` before the script starts, so a script that puts its own ``src``
  first on ``sys.path`` still measures the tree under test (used when the old script cannot
  measure the same thing: a mode it lacks, or scoring that changed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEED = 0.10  # a speed figure may be this much worse (noise) and still count as unchanged
ACCURACY = 0.0  # an accuracy figure must not drop
# measured for every bench: CPU seconds of the whole bench process (and the processes it waited
# for), which a loaded machine disturbs far less than the wall clock the figures are
CPU = "process_cpu_s"


@dataclass(frozen=True)
class Bench:
    """One benchmark command and the figures read from its JSON output."""

    name: str
    args: str  # after ``bench/<script>``; the same for both trees
    figures: dict[str, str]  # dotted key in the JSON -> "lower" | "higher" (better)
    script: str = ""  # file in bench/ (default: <name>.py, or the name before a colon)
    source: str = "own"  # "own": each tree's script; "new": the new tree's script on both
    key_by: str | None = None  # merge several printed lines by this key ("set" -> demo.x)
    key_default: str | None = None  # with key_by: the key of a line that lacks the field
    accuracy: tuple[str, ...] = ()  # figures that must not drop at all
    runs: int | None = None  # overrides --runs (deterministic figures need fewer)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.script or self.name.split(":")[0] + ".py"


# The benchmarks of docs/benchmarks.md that exist in both trees, at sizes where ten runs take a
# few minutes. Same flags for old and new.
BENCHES: tuple[Bench, ...] = (
    Bench("lineage_speed", "--no-peer --repeat 1", {"ours_per_second.all": "higher"}),
    Bench("orchestration:hop", "--mode hop --no-prefect", {"p50_ms": "lower", "p95_ms": "lower"}),
    Bench("orchestration:fanout", "--mode fanout --tasks 3000", {"tasks_per_s": "higher"}),
    Bench(
        "orchestration:fanout-dask",
        "--mode fanout --tasks 500 --executor dask",
        {"tasks_per_s": "higher"},
        runs=3,  # a LocalCluster of 2 processes starts each run
    ),
    Bench(
        "orchestration:concurrency",
        "--mode concurrency --scans 300 --sources 30",
        {"seconds": "lower"},
    ),
    Bench(
        "lineage_eval",
        "",
        {
            "table_exact": "higher",
            "column_exact": "higher",
            "column_f1": "higher",
            "sources_f1": "higher",
            "seconds": "lower",
        },
        source="new",  # the scoring changed after (window edges per corpus, own cases)
        accuracy=("table_exact", "column_exact", "column_f1", "sources_f1"),
        runs=2,  # deterministic scores; the time is a by-product
    ),
    Bench(
        "lineage_layout",
        "--runs 5",
        {
            "random.median_ms": "lower",
            "warehouse.median_ms": "lower",
            "warehouse_focus.median_ms": "lower",
            "columns.median_ms": "lower",
            "random.cpu_median_ms": "lower",
            "warehouse.cpu_median_ms": "lower",
            "warehouse_focus.cpu_median_ms": "lower",
            "columns.cpu_median_ms": "lower",
        },
    ),
    Bench(
        "quality",
        "--rows 200000",
        {"sqlite.ours_s": "lower", "parquet.ours_s": "lower"},
    ),
    Bench(
        "change_impact",
        "--tables 20",
        {"rescan_s": "lower", "walk_s": "lower", "read_1000_s": "lower"},
    ),
    Bench(
        "compliance",
        "--tables 20",
        {
            "scan_with_classify_s": "lower",
            "first_evaluation_s": "lower",
            "re_evaluation_s": "lower",
            "pci_html_report_s": "lower",
        },
        source="new",  # each step from a collected heap: the old script charged a collection
        # owed by earlier steps to whichever step crossed the threshold (docs/benchmarks.md)
    ),
    Bench(
        "discovery",
        "--tables 100 --views 10",
        {
            "raw_catalog_s": "lower",
            "full_scan_s": "lower",
            "rescan_s": "lower",
            "workflow_rescan_s": "lower",
            "rescan_view_lineage_s": "lower",
        },
        source="new",  # the old script unpacks start()'s result, which bd5d3ba already typed
    ),
    Bench(
        "profiling",
        "--rows 200000 --no-pandas --repeat 1",
        {"sqlite.profile_s": "lower", "parquet.profile_s": "lower"},
    ),
    Bench(
        "orchestration_server:fanout",
        "--mode fanout --tasks 2000 --no-prefect",
        {"tasks_per_s": "higher"},
        source="new",  # the mode came after bd5d3ba
    ),
    Bench(
        "orchestration_server:hop",
        "--mode hop --repeat 2 --no-prefect",
        {"p50_ms": "lower", "p95_ms": "lower"},
        source="new",  # the mode came after bd5d3ba
    ),
    Bench(
        "orchestration_server:schedule",
        "--mode schedule --ticks 10",
        {"lag_p50_ms": "lower", "lag_p99_ms": "lower"},
        runs=3,
    ),
    Bench(
        "orchestration_server:recovery",
        "--mode recovery --tasks 100",
        {
            "seconds_until_tasks_run_again": "lower",
            "server_start_s": "lower",
            "lost": "lower",
            "duplicated": "lower",
            "rerun_after_completion": "lower",
        },
        accuracy=("lost", "duplicated", "rerun_after_completion"),
        runs=3,
    ),
    Bench(
        "orchestration_server:fanout-postgres",
        "--mode fanout --tasks 2000 --no-prefect --store postgres",
        {"tasks_per_s": "higher"},
        script="orchestration_server.py",
        source="new",
        runs=3,
    ),
    Bench(
        "glossary_suggest",
        "",
        {"demo.precision": "higher", "demo.recall": "higher", "demo.seconds": "lower"},
        key_by="set",
        key_default="demo",  # the old script scores the demo set only, without a "set" key
        accuracy=("demo.precision", "demo.recall"),
        runs=3,
    ),
    Bench(
        "search_relevance",
        "",
        {"mrr@10": "higher", "recall@10": "higher", "latency_ms_p50": "lower"},
        accuracy=("mrr@10", "recall@10"),
        runs=2,  # deterministic scores
    ),
    Bench(
        "search_speed",
        "--assets 20000 --queries 200",
        {
            "build_assets_per_s": "higher",
            "keyword_build_assets_per_s": "higher",
            "keyword_ms.p95": "lower",
            "filtered_ms.p95": "lower",
            "hybrid_ms.p95": "lower",
            "suggest_ms.p95": "lower",
        },
    ),
    Bench(
        "classification_eval",
        "--cpu-time",
        {
            "macro_f1": "higher",
            "macro_f1_incl_needs_name": "higher",
            "hard_negative_fp_rate": "lower",
            "kinds.macro_f1": "higher",
            "values_per_s": "higher",
            "values_per_s_uncapped": "higher",
            "values_per_s_100_value_columns": "higher",
        },
        source="new",  # the kinds set came after; as docs/benchmarks.md measured it before
        accuracy=(
            "macro_f1",
            "macro_f1_incl_needs_name",
            "hard_negative_fp_rate",
            "kinds.macro_f1",
        ),
        runs=3,  # 36 s a run; throughput is CPU time, best of 5 within each run
    ),
    Bench(
        "heavy_requests",
        "",
        {"me_loaded_median_ms": "lower", "me_loaded_p95_ms": "lower", "me_idle_median_ms": "lower"},
        runs=3,
    ),
    Bench(
        "cli_startup",
        "--repeat 3",
        {"help_s": "lower", "version_s": "lower", "assets_list_s": "lower"},
        runs=3,
    ),
    Bench(
        "lineage_graph",
        "--queries 100",
        {"p50_ms": "lower", "p95_ms": "lower"},
        source="new",  # both scripts indexed the typed graph as a dict: fixed in the new one
        runs=3,  # 40 s a run, most of it writing 100,000 assets
    ),
    Bench("ui", "--runs 10", {"worst_p95_ms": "lower", "pages.home.server_p50_ms": "lower"}),
    Bench(
        "ui_search",
        "--assets 5000 --queries 100",
        {"suggest_server.p50_ms": "lower", "suggest_server.p95_ms": "lower"},
    ),
    Bench(
        "ui_wide_asset",
        "--columns 200 --runs 10 --paints 2",
        {
            "schema_tab.server_p50_ms": "lower",
            "profile_tab.server_p50_ms": "lower",
            "chromium.first_paint_p50_ms": "lower",
        },
    ),
    Bench(
        "ui_lineage",
        "--nodes 1000 --edges 1200 --runs 4",
        {
            "layout_ms_p50": "lower",
            "explore_ms_p50": "lower",
            "page_server_ms_p50": "lower",
            "first_render_ms": "lower",
        },
        source="new",  # in-process calls from a collected heap (the old script: whichever
        # call crossed the collector's threshold paid for the full collection)
    ),
)

# imports ``sounding`` from the tree under test before the script runs, so that its own
# ``sys.path.insert(0, ROOT / "src")`` cannot swap the package for another tree's
SHIM = (
    "import runpy, sys; src, script = sys.argv[1], sys.argv[2]; sys.path.insert(0, src); "
    "import sounding; sys.argv = sys.argv[2:]; sys.path.insert(0, script.rsplit('/', 1)[0]); "
    "runpy.run_path(script, run_name='__main__')"
)


def dig(doc: dict[str, Any], key: str) -> float | None:
    """``doc["a"]["b"]`` for ``"a.b"``; None when absent or not a number."""
    node: Any = doc
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return float(node)


def parse_output(stdout: str, key_by: str | None, key_default: str | None = None) -> dict[str, Any]:
    """Every JSON object line of a bench's stdout, merged (later lines win), or keyed by a field."""
    doc: dict[str, Any] = {}
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(obj, dict):
            continue
        if key_by and (key_by in obj or key_default is not None):
            doc[str(obj.get(key_by, key_default))] = obj
        else:
            doc.update(obj)
    return doc


def command(python: str, bench: Bench, tree: Path, new: Path, template: str | None) -> list[str]:
    if template is not None:
        return [python, *shlex.split(template.format(tree=tree, new=new))]
    args = shlex.split(bench.args)
    if bench.source == "new":
        return [python, "-c", SHIM, str(tree / "src"), str(new / "bench" / bench.file), *args]
    return [python, str(tree / "bench" / bench.file), *args]


def run_once(
    cmd: list[str], tree: Path, env_extra: dict[str, str], timeout: float
) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("SOUNDING_DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # run from bytecode, as an install does
    env.update(env_extra)
    env["PYTHONPATH"] = str(tree / "src")
    began = time.perf_counter()
    cpu_before = _children_cpu()
    try:
        done = subprocess.run(
            cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:.0f} s", "wall_s": timeout}
    wall = time.perf_counter() - began
    cpu = _children_cpu() - cpu_before
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-5:]
        return {
            "ok": False,
            "error": f"exit {done.returncode}: " + " | ".join(tail),
            "wall_s": wall,
        }
    return {"ok": True, "stdout": done.stdout, "wall_s": wall, "cpu_s": cpu}


def compile_tree(python: str, tree: Path) -> None:
    """Write the bytecode of ``tree``'s ``src`` (and its benches) as an install would, so no run
    pays for compiling source."""
    folders = [str(p) for p in (tree / "src", tree / "bench", tree / "tests") if p.is_dir()]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(  # -x: not into hidden folders (bench/.peer-venvs holds whole venvs)
        [python, "-m", "compileall", "-q", "-x", r"[/\\]\.", *folders],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:  # compileall names the files it could not compile on stdout
        raise SystemExit(f"compileall failed in {tree}:\n{done.stdout}{done.stderr}")


def _children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, and of the
    processes they waited for (a bench's servers and workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def verdict(old: float, new: float, better: str, tolerance: float) -> bool:
    if better == "lower":
        return new <= old * (1 + tolerance) + 1e-12
    return new >= old * (1 - tolerance) - 1e-12


def compare(
    bench: Bench,
    old: Path,
    new: Path,
    runs: int,
    python: str,
    template: str | None = None,
    timeout: float = 600,
) -> list[dict[str, Any]]:
    """Run old/new alternately ``runs`` times each; one result dict per figure."""
    figures = {**bench.figures, CPU: "lower"}
    values: dict[str, dict[str, list[float]]] = {
        side: {k: [] for k in figures} for side in ("old", "new")
    }
    errors: dict[str, list[str]] = {"old": [], "new": []}
    walls: dict[str, list[float]] = {"old": [], "new": []}
    loads: list[float] = []
    for _ in range(runs):
        for side, tree in (("old", old), ("new", new)):
            loads.append(round(os.getloadavg()[0], 2))
            cmd = command(python, bench, tree, new, template)
            out = run_once(cmd, tree, bench.env, timeout)
            walls[side].append(round(out["wall_s"], 2))
            if not out["ok"]:
                errors[side].append(out["error"])
                print(f"[{bench.name}] {side}: {out['error']}", file=sys.stderr)
                continue
            doc = parse_output(out["stdout"], bench.key_by, bench.key_default)
            doc[CPU] = round(out["cpu_s"], 3)
            for key in figures:
                value = dig(doc, key)
                if value is not None:
                    values[side][key].append(value)
    loadavg = [round(x, 2) for x in os.getloadavg()]
    results = []
    for key, better in figures.items():
        tolerance = ACCURACY if key in bench.accuracy else SPEED
        o, n = values["old"][key], values["new"][key]
        om = statistics.median(o) if o else None
        nm = statistics.median(n) if n else None
        ratio = round(nm / om, 3) if om and nm is not None else None
        ok = verdict(om, nm, better, tolerance) if om is not None and nm is not None else None
        line: dict[str, Any] = {
            "bench": bench.name,
            "figure": key,
            "old_median": om,
            "new_median": nm,
            "ratio": ratio,
            "better": better,
            "tolerance": tolerance,
            "within_10pct_or_better": ok,
            "runs": runs,
            "loadavg": loadavg,
            "old_values": o,
            "new_values": n,
            "script": "each tree's own" if bench.source == "own" else "the new tree's, on both",
            "wall_s": walls,
            "loadavg_1m_runs": loads,
        }
        if errors["old"] or errors["new"]:
            line["errors"] = errors
        results.append(line)
    return results


def parse_figure(text: str) -> tuple[str, str]:
    key, _, better = text.rpartition(":")
    if better not in ("lower", "higher") or not key:
        raise argparse.ArgumentTypeError(f"want KEY:lower or KEY:higher, got {text!r}")
    return key, better


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, help="the tree before (has src/); required to run")
    parser.add_argument("--new", type=Path, default=ROOT, help="the tree after (default: this)")
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs of each tree, alternating (default: 5, or "
        "the table's figure for the bench); given, it overrides the table",
    )
    parser.add_argument("--python", default=sys.executable, help="one interpreter for both")
    parser.add_argument("--only", nargs="*", default=None, help="bench names from the table")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a run may take")
    parser.add_argument("--list", action="store_true", help="print the table and stop")
    parser.add_argument(
        "--command", default=None, help="a command template instead of the table: {tree}, {new}"
    )
    parser.add_argument("--name", default="custom", help="with --command: the bench's name")
    parser.add_argument(
        "--figure", type=parse_figure, action="append", default=[], help="KEY:lower|higher"
    )
    parser.add_argument(
        "--accuracy", action="append", default=[], help="a figure that may not drop"
    )
    args = parser.parse_args()
    if args.list:
        for b in BENCHES:
            print(f"{b.name:34} {b.source:4} bench/{b.file} {b.args}  {sorted(b.figures)}")
        return
    if args.old is None:
        parser.error("--old is required")
    old, new = args.old.resolve(), args.new.resolve()
    if args.command is not None:
        if not args.figure:
            parser.error("--command needs at least one --figure KEY:lower|higher")
        benches: tuple[Bench, ...] = (
            Bench(args.name, "", dict(args.figure), accuracy=tuple(args.accuracy)),
        )
    else:
        known = {b.name for b in BENCHES}
        unknown = set(args.only or ()) - known
        if unknown:
            parser.error(f"unknown bench {sorted(unknown)}; known: {sorted(known)}")
        benches = tuple(b for b in BENCHES if args.only is None or b.name in args.only)
    for tree in (old, new):
        compile_tree(args.python, tree)
    for bench in benches:
        runs = args.runs or (bench.runs if args.command is None else None) or 5
        for line in compare(bench, old, new, runs, args.python, args.command, args.timeout):
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
