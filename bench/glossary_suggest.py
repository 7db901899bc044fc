"""Glossary suggestion quality on the demo: precision and recall against the judged links.

Builds the demo warehouse, scans it (profile + classify, as ``sounding demo`` does), imports
the demo glossary (``src/sounding/demo/glossary.csv``), generates suggestions at the default
threshold, and compares them with ``tests/golden/glossary/demo_judged_links.json``.

    .venv/bin/python bench/glossary_suggest.py [--threshold 0.6] [--scale 0.2] [--misses]

Prints one JSON line on stdout; ``--misses`` lists false positives and missed links on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.features.glossary import links as glossary_links
from sounding.features.glossary.service import import_terms
from sounding.features.glossary.suggest import DEFAULT_THRESHOLD
from sounding.services import scans, sources
from sounding.services.context import build_context
from sounding.services.demo import DEMO_GLOSSARY

ROOT = Path(__file__).resolve().parents[1]
JUDGED = ROOT / "tests/golden/glossary/demo_judged_links.json"


def judged_pairs() -> set[tuple[str, str]]:
    links: dict[str, list[str]] = json.loads(JUDGED.read_text())["links"]
    return {(term, asset) for term, assets in links.items() for asset in assets}


def evaluate(suggested: set[tuple[str, str]], judged: set[tuple[str, str]]) -> dict[str, Any]:
    hits = suggested & judged
    return {
        "suggested": len(suggested),
        "judged": len(judged),
        "correct": len(hits),
        "precision": round(len(hits) / len(suggested), 4) if suggested else 0.0,
        "recall": round(len(hits) / len(judged), 4) if judged else 0.0,
    }


def run(threshold: float, scale: float, misses: bool) -> dict[str, Any]:
    from sounding.demo.warehouse import build_demo_workspace

    actor = Principal("bench", Role.ADMIN)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        workspace = build_demo_workspace(home / "data", scale=scale)
        ctx = build_context(Settings(home=home / "home", secret_key=Fernet.generate_key().decode()))
        try:
            url = dict(workspace.sources())["warehouse"]
            options = {"profile": True, "classify": True, "sample": "10%"}
            sources.add(ctx, actor, "warehouse", url, options=options)
            scans.run_scan(ctx, actor, "warehouse")
            import_terms(ctx, actor, DEMO_GLOSSARY.read_text(encoding="utf-8"), "csv")
            started = time.perf_counter()
            counts = glossary_links.generate_suggestions(ctx, actor, "warehouse", threshold)
            seconds = time.perf_counter() - started
            items, _ = glossary_links.list_suggestions(ctx, actor, limit=100_000)
        finally:
            ctx.close()
    suggested = {(i.term_path, i.qualified_name) for i in items}
    judged = judged_pairs()
    if misses:
        reasons = {(i.term_path, i.qualified_name): i for i in items}
        for pair in sorted(suggested - judged):
            sys.stderr.write(f"FP {pair[0]} -> {pair[1]} {reasons[pair].confidence}\n")
        for pair in sorted(judged - suggested):
            sys.stderr.write(f"FN {pair[0]} -> {pair[1]}\n")
    return {
        "bench": "glossary_suggest",
        "threshold": threshold,
        "scale": scale,
        **evaluate(suggested, judged),
        "assets": counts.assets,
        "terms": counts.terms,
        "seconds": round(seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.threshold, args.scale, args.misses)))


if __name__ == "__main__":
    main()
