"""Search speed at catalog scale: build time and size, query latency, memory.

Generates ``--assets`` (default 1,000,000) realistic search documents: sources, databases,
schemas, tables and views named from data-warehouse vocabularies (``stg_customer_orders``,
``fct_invoice_lines_daily``), their columns (about 30 each), template descriptions, tags,
owners, domains, classifications, quality and popularity. Indexes them with the embedded
engine twice, keyword index alone and then keyword + vectors (tantivy + usearch + the
shipped static embedding model), and on the second times 1,000 each of:
keyword queries (words, prefixes, typos), filtered keyword queries, hybrid natural-language
queries (all with facets, as the API asks) and suggestions.

    .venv/bin/python bench/search_speed.py [--assets 1000000] [--threads 2] [--queries 1000]

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sounding.domain.search import SearchDocument, SearchFilters, SearchMode, SearchQuery
from sounding.search.engine import SearchEngine


def _words(text: str) -> list[str]:
    return text.split()


ENTITIES = _words(
    "customer order invoice payment product shipment account user session event campaign "
    "inventory supplier employee store region country currency refund return subscription "
    "plan contract lead opportunity ticket review rating coupon discount cart checkout "
    "warehouse carrier delivery vendor budget forecast ledger journal transaction balance "
    "claim policy patient visit doctor prescription device sensor reading alert incident "
    "song album artist playlist movie rental actor film genre category"
)
QUALIFIERS = _words(
    "daily weekly monthly history snapshot summary detail line item status latest current "
    "agg stats metrics log audit staging enriched cleaned v2 archive"
)
LAYERS = ("raw", "stg", "int", "dim", "fct", "mart", "")
COLUMNS = _words(
    "id name code status type created_at updated_at deleted_at amount total quantity price "
    "unit_price currency email phone_number first_name last_name full_name address city "
    "postal_code country_code date_of_birth gender description notes is_active score rank "
    "latitude longitude ip_address user_agent session_id source medium campaign_id url "
    "started_at ended_at duration_seconds count sum avg min max ratio rate margin revenue cost"
)
DOMAINS = ("sales", "finance", "marketing", "logistics", "crm", "product", "hr", "support")
TAGS = ("gold", "silver", "bronze", "pii", "kpi", "certified", "experimental", "gdpr")
CLASSES = ("PII.Email", "PII.Phone", "PII.Name", "PII.Address", "PII.BirthDate", "PCI.Card")
PII_COLUMNS = {
    "email": "PII.Email",
    "phone_number": "PII.Phone",
    "full_name": "PII.Name",
    "first_name": "PII.Name",
    "last_name": "PII.Name",
    "address": "PII.Address",
    "date_of_birth": "PII.BirthDate",
}
VERBS = ("One row per", "All", "Cleaned", "Daily rollup of", "History of", "Latest")
NATURAL = (
    "customer email addresses",
    "songs",
    "movie rentals",
    "money spent on advertising",
    "where customers live",
    "delivery times",
    "patient visits to doctors",
    "product prices",
    "website sessions",
    "employee salaries",
    "refunds for returned orders",
    "currency conversion rates",
)


def table_name(rng: random.Random) -> str:
    parts = [rng.choice(LAYERS), *rng.sample(ENTITIES, rng.choice((1, 1, 2)))]
    if rng.random() < 0.5:
        parts.append(rng.choice(QUALIFIERS))
    name = "_".join(p for p in parts if p)
    if rng.random() < 0.1:
        name = "".join(p.title() for p in name.split("_"))
    return name


def generate(total: int, seed: int = 42) -> Iterator[SearchDocument]:
    """About ``total`` documents: a table or view, then its columns, until the count."""
    rng = random.Random(seed)
    made = 0
    ident = 0
    used: set[str] = set()
    sources = [f"{w}_db" for w in ("shop", "erp", "crm", "web", "lake", "hr", "music", "films")]
    while made < total:
        source = rng.choice(sources)
        schema = rng.choice(("public", "analytics", "staging", "reporting", "core"))
        name = table_name(rng)
        qualified = f"prod.{schema}.{name}"
        if qualified in used:
            qualified = f"{qualified}_{ident}"
        used.add(qualified)
        ncols = max(3, int(rng.gauss(30, 10)))
        cols = list(dict.fromkeys(rng.choices(COLUMNS, k=ncols)))
        entity = name.split("_")[-1]
        ident += 1
        urn = f"urn:sounding:{source}:{qualified}"
        yield SearchDocument(
            id=ident,
            urn=urn,
            name=qualified.rsplit(".", 1)[1],
            qualified_name=qualified,
            type="view" if rng.random() < 0.2 else "table",
            source=source,
            schema=f"prod.{schema}",
            description=f"{rng.choice(VERBS)} {entity} {' '.join(rng.sample(ENTITIES, 2))}"
            if rng.random() < 0.6
            else None,
            owner=f"{rng.choice(DOMAINS)}-team@corp.example" if rng.random() < 0.7 else None,
            domain=rng.choice(DOMAINS) if rng.random() < 0.6 else None,
            tags=tuple(rng.sample(TAGS, rng.choice((0, 0, 1, 2)))),
            columns=tuple(cols),
            criticality=rng.choice((None, None, "low", "medium", "high", "critical")),
            lifecycle=rng.choice((None, "production", "production", "deprecated")),
            quality=rng.choice((None, rng.random())),
            popularity=float(int(rng.expovariate(0.05))),
        )
        made += 1
        for col in cols:
            if made >= total:
                break
            ident += 1
            label = PII_COLUMNS.get(col)
            yield SearchDocument(
                id=ident,
                urn=f"{urn}#{col}",
                name=col,
                qualified_name=f"{qualified}.{col}",
                type="column",
                source=source,
                schema=f"prod.{schema}",
                classifications=(label,) if label and rng.random() < 0.8 else (),
                data_type=rng.choice(("text", "integer", "timestamp", "numeric")),
            )
            made += 1


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def keyword_queries(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:
            out.append(" ".join(rng.sample(ENTITIES, rng.choice((1, 2)))))
        elif kind < 0.6:
            out.append(rng.choice(ENTITIES)[: rng.randint(3, 5)])  # prefix
        elif kind < 0.75:
            out.append(typo(rng, rng.choice(ENTITIES)))
        elif kind < 0.9:
            out.append(f"{rng.choice(LAYERS) or 'stg'}_{rng.choice(ENTITIES)}")
        else:
            out.append(f"{rng.choice(ENTITIES)} {rng.choice(COLUMNS)}")
    return out


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100)
    return {"p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2)}


def timed(calls: list[Callable[[], object]]) -> dict[str, float]:
    for call in calls[:20]:
        call()  # warm caches the way a running server has them warm
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="sounding-search-speed-") as tmp:
        print(f"building {args.assets:,} documents, keyword index only ...", file=sys.stderr)
        text_only = SearchEngine(Path(tmp) / "text-only", embedder=None, threads=args.threads)
        start = time.perf_counter()
        text_only.rebuild(generate(args.assets))
        text_build_s = time.perf_counter() - start
        text_only.close()
        del text_only
        directory = Path(tmp) / "index"
        engine = SearchEngine(directory, threads=args.threads)
        print(f"building {args.assets:,} documents, keyword + vectors ...", file=sys.stderr)
        start = time.perf_counter()
        count = engine.rebuild(generate(args.assets))
        build_s = time.perf_counter() - start
        print(f"built in {build_s:.1f}s; querying ...", file=sys.stderr)
        n = args.queries
        words = keyword_queries(rng, n)
        filters = [
            SearchFilters(types=("table",)),
            SearchFilters(sources=("shop_db",), tags=("gold",)),
            SearchFilters(domains=("finance",), lifecycles=("production",)),
            SearchFilters(classifications=("PII",), types=("column",)),
            SearchFilters(quality_min=0.8),
        ]
        kw = SearchMode.KEYWORD
        keyword = timed([lambda q=q: engine.search(SearchQuery(q, mode=kw)) for q in words])
        filtered = timed(
            [
                lambda q=q, f=rng.choice(filters): engine.search(SearchQuery(q, filters=f, mode=kw))
                for q in words
            ]
        )
        natural = [rng.choice(NATURAL) for _ in range(n // 2)] + words[: n // 2]
        hybrid = timed([lambda q=q: engine.search(SearchQuery(q)) for q in natural])
        prefixes = [rng.choice(ENTITIES + COLUMNS)[: rng.randint(2, 6)] for _ in range(n)]
        engine.suggest("warm")  # the first call loads the name list
        suggest = timed([lambda p=p: engine.suggest(p, 10) for p in prefixes])
        line = {
            "bench": "search_speed",
            "assets": count,
            "threads": args.threads,
            "keyword_build_s": round(text_build_s, 1),
            "keyword_build_assets_per_s": round(count / text_build_s),
            "build_s": round(build_s, 1),
            "build_assets_per_s": round(count / build_s),
            "index_mb": round(dir_mb(directory), 1),
            "text_index_mb": round(dir_mb(directory / "text"), 1),
            "vector_index_mb": round(dir_mb(directory / "vectors"), 1),
            "keyword_ms": keyword,
            "filtered_ms": filtered,
            "hybrid_ms": hybrid,
            "suggest_ms": suggest,
            "rss_mb": round(rss_mb()),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
        engine.close()
    print(json.dumps(line))


if __name__ == "__main__":
    main()
