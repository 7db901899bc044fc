"""Search relevance on the judged query set: MRR@10 and recall@10, overall and per kind.

Builds the judged corpus (demo warehouse + lake, Chinook, Northwind, Sakila; see
``tests/search/corpus.py``) through the real services, indexes it, runs every query in
``tests/golden/search/judged_queries.json`` and scores the top 10.

    .venv/bin/python bench/search_relevance.py [--mode hybrid|keyword|semantic]
        [--embedder static|minilm|none] [--model-dir DIR] [--misses]

``--model-dir`` loads another static model (e.g. a distillation with other PCA dims);
``minilm`` needs the optional extra (torch). Prints one JSON line on stdout; with
``--misses`` the queries whose first relevant hit is not first go to stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.search.corpus import build_catalog, catalog_documents

from sounding.domain.search import SearchMode, SearchQuery
from sounding.search.embeddings import Embedder, StaticEmbedder, load_embedder
from sounding.search.engine import SearchEngine

ROOT = Path(__file__).resolve().parents[1]
JUDGED = ROOT / "tests/golden/search/judged_queries.json"
K = 10


def load_judged() -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(JUDGED.read_text(encoding="utf-8"))["queries"]
    return queries


def score(ranked: list[str], relevant: list[str]) -> tuple[float, float]:
    """Reciprocal rank of the first relevant URN in the top K, and recall at K."""
    top = ranked[:K]
    rr = next((1.0 / (i + 1) for i, u in enumerate(top) if u in relevant), 0.0)
    return rr, len(set(top) & set(relevant)) / len(relevant)


def evaluate(engine: SearchEngine, mode: SearchMode, misses: bool) -> dict[str, Any]:
    judged = load_judged()
    per_kind: dict[str, list[tuple[float, float]]] = {}
    latencies: list[float] = []
    for item in judged:
        start = time.perf_counter()
        page = engine.search(SearchQuery(item["q"], mode=mode, limit=K, facets=True))
        latencies.append(time.perf_counter() - start)
        ranked = [h.urn for h in page.items]
        rr, rec = score(ranked, item["relevant"])
        per_kind.setdefault(item["kind"], []).append((rr, rec))
        if misses and rr < 1.0:
            print(f"{item['id']} rr={rr:.2f} recall={rec:.2f} {item['q']!r}", file=sys.stderr)
            for u in ranked[:5]:
                mark = "*" if u in item["relevant"] else " "
                print(f"    {mark} {u}", file=sys.stderr)
    every = [s for scores in per_kind.values() for s in scores]
    return {
        "queries": len(every),
        "mrr@10": round(statistics.fmean(s[0] for s in every), 4),
        "recall@10": round(statistics.fmean(s[1] for s in every), 4),
        "by_kind": {
            kind: {
                "n": len(s),
                "mrr@10": round(statistics.fmean(x[0] for x in s), 4),
                "recall@10": round(statistics.fmean(x[1] for x in s), 4),
            }
            for kind, s in sorted(per_kind.items())
        },
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
    }


def make_embedder(name: str, model_dir: Path | None) -> Embedder | None:
    if model_dir is not None:
        return StaticEmbedder.from_directory(model_dir)
    return load_embedder(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", default="hybrid", choices=[m.value for m in SearchMode])
    parser.add_argument("--embedder", default="static", choices=["static", "minilm", "none"])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sounding-relevance-") as tmp:
        ctx = build_catalog(Path(tmp) / "home")
        try:
            docs = catalog_documents(ctx)
        finally:
            ctx.close()
        embedder = make_embedder(args.embedder, args.model_dir)
        engine = SearchEngine(Path(tmp) / "index", embedder=embedder)
        start = time.perf_counter()
        engine.rebuild(docs)
        build_s = time.perf_counter() - start
        result = evaluate(engine, SearchMode(args.mode), args.misses)
        engine.close()
    name = embedder.name if embedder else "none"
    line = {"bench": "search_relevance", "mode": args.mode, "embedder": name, "docs": len(docs)}
    line |= result | {"index_build_s": round(build_s, 3)}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
