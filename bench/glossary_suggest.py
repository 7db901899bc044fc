"""Glossary suggestion quality: precision and recall against judged links, on two sets.

* ``demo`` - builds the demo warehouse, scans it (profile + classify, as ``sounding demo``
  does), imports the demo glossary (``src/sounding/demo/glossary.csv``), generates suggestions
  and compares them with ``tests/golden/glossary/demo_judged_links.json``.
* ``sample_dbs`` - the same glossary on three databases it was not written for (chinook,
  northwind and sakila from ``<corpora>/sample_dbs``, scanned from copies), against
  ``tests/golden/glossary/sample_dbs_judged_links.json``, whose judgements were written before
  the matcher was tuned. Its ``debatable`` pairs count neither way.

    .venv/bin/python bench/glossary_suggest.py [--set demo|sample_dbs|all] [--threshold 0.6]
        [--scale 0.2] [--corpora DIR] [--misses]

``--corpora`` defaults to ``sample_dbs`` in the shared corpora (``SOUNDING_CORPORA`` overrides).

Prints one JSON line per set on stdout (``seconds``: the median of 5 suggestion runs);
``--misses`` lists false positives and missed links on stderr. The code measured is this
tree's ``src`` unless ``PYTHONPATH`` is set, which then chooses it
(``PYTHONPATH=/other/checkout/src`` measures another version with the same sets).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# after any PYTHONPATH entries (sys.path[0] is this script's folder), so PYTHONPATH wins
sys.path.insert(
    1 + len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
    str(Path(__file__).resolve().parents[1] / "src"),
)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet

from sounding.cli.demo import DEMO_GLOSSARY
from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary.service import import_terms
from sounding.features.glossary.suggest import DEFAULT_THRESHOLD
from sounding.services import scans, sources
from sounding.services.context import Context, build_context
from sounding.testing.corpora import corpora_dir

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests/golden/glossary"
CORPORA = corpora_dir(ROOT) / "sample_dbs"
SCAN_OPTIONS = {"profile": True, "classify": True, "sample": "10%"}
ACTOR = Principal("bench", Role.ADMIN)
REPEAT = 5  # suggestion runs timed per set
Pair = tuple[str, str]


def judged_pairs(path: Path) -> tuple[set[Pair], set[Pair]]:
    """(links, debatable) of a judged file; each pair is (term path, asset)."""
    data = json.loads(path.read_text())

    def pairs(key: str) -> set[Pair]:
        found: dict[str, list[str]] = data.get(key, {})
        return {(term, asset) for term, assets in found.items() for asset in assets}

    return pairs("links"), pairs("debatable")


def evaluate(
    suggested: set[Pair], judged: set[Pair], debatable: set[Pair] = frozenset()
) -> dict[str, Any]:
    counted = suggested - debatable
    hits = counted & judged
    return {
        "suggested": len(counted),
        "judged": len(judged),
        "correct": len(hits),
        "precision": round(len(hits) / len(counted), 4) if counted else 0.0,
        "recall": round(len(hits) / len(judged), 4) if judged else 0.0,
    }


def _suggest(
    ctx: Context, threshold: float, source: str | None, asset_key: Callable[[Any], str]
) -> tuple[dict[Pair, Any], Any, float]:
    import_terms(ctx, ACTOR, DEMO_GLOSSARY.read_text(encoding="utf-8"), "csv")
    times = []
    for _ in range(REPEAT):  # later runs refresh the same suggestions; the median is kept
        started = time.perf_counter()
        counts = glossary_links.generate_suggestions(ctx, ACTOR, source, threshold)
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    items, _ = glossary_links.list_suggestions(ctx, ACTOR, limit=100_000)
    return {(i.term_path, asset_key(i)): i for i in items}, counts, seconds


def suggest_demo(home: Path, threshold: float, scale: float) -> tuple[dict[Pair, Any], Any, float]:
    from sounding.demo.warehouse import build_demo_workspace

    workspace = build_demo_workspace(home / "data", scale=scale)
    ctx = build_context(Settings(home=home / "home", secret_key=Fernet.generate_key().decode()))
    try:
        url = dict(workspace.sources())["warehouse"]
        sources.add(ctx, ACTOR, "warehouse", url, options=SCAN_OPTIONS)
        scans.run_scan(ctx, ACTOR, "warehouse")
        return _suggest(ctx, threshold, "warehouse", lambda i: i.qualified_name)
    finally:
        ctx.close()


def suggest_sample_dbs(
    home: Path, threshold: float, corpora: Path, names: list[str]
) -> tuple[dict[Pair, Any], Any, float]:
    ctx = build_context(Settings(home=home / "home", secret_key=Fernet.generate_key().decode()))
    try:
        for name in names:
            copy = home / f"{name}.sqlite"  # never write to the shared corpus
            shutil.copyfile(corpora / f"{name}.sqlite", copy)
            sources.add(ctx, ACTOR, name, f"sqlite:///{copy}", options=SCAN_OPTIONS)
            scans.run_scan(ctx, ACTOR, name)
        return _suggest(ctx, threshold, None, lambda i: f"{i.source}:{i.qualified_name}")
    finally:
        ctx.close()


def run(which: str, threshold: float, scale: float, corpora: Path, misses: bool) -> dict[str, Any]:
    judged_file = GOLDEN / f"{which}_judged_links.json"
    judged, debatable = judged_pairs(judged_file)
    with tempfile.TemporaryDirectory() as tmp:
        if which == "demo":
            found, counts, seconds = suggest_demo(Path(tmp), threshold, scale)
        else:
            names = json.loads(judged_file.read_text())["sources"]
            found, counts, seconds = suggest_sample_dbs(Path(tmp), threshold, corpora, names)
    suggested = set(found)
    if misses:
        for pair in sorted(suggested - judged - debatable):
            sys.stderr.write(f"FP {pair[0]} -> {pair[1]} {found[pair].confidence}\n")
        for pair in sorted(judged - suggested):
            sys.stderr.write(f"FN {pair[0]} -> {pair[1]}\n")
    return {
        "bench": "glossary_suggest",
        "set": which,
        "threshold": threshold,
        **({"scale": scale} if which == "demo" else {}),
        **evaluate(suggested, judged, debatable),
        "debatable_suggested": len(suggested & debatable),
        "assets": counts.assets,
        "terms": counts.terms,
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("demo", "sample_dbs", "all"), default="all")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    for which in ("demo", "sample_dbs") if args.set == "all" else (args.set,):
        if args.misses:
            sys.stderr.write(f"--- {which}\n")
        print(json.dumps(run(which, args.threshold, args.scale, args.corpora, args.misses)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
