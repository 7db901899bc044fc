"""Lineage graph queries at scale: 100,000 assets and 300,000 edges in the metadata store.

Assets form 10 layers of 10,000 tables; each has 3 edges into the next layer (random, seeded).
Times ``lineage_graph(direction=downstream, depth=5)`` through the service (the same call the
API makes, node rows included) from 200 random roots in the first 5 layers.

    .venv/bin/python bench/lineage_graph.py                       # SQLite store
    .venv/bin/python bench/lineage_graph.py --store-url postgresql+psycopg://postgres@127.0.0.1/x

Prints one JSON line; goal: p95 under 100 ms on both stores.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.services import lineage, sources
from sounding.services.context import build_context
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import utcnow
from sounding.store.tables_lineage import lineage_edges

LAYERS, WIDTH, FANOUT = 10, 10_000, 3


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fresh_pg(url: str) -> str:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = "sounding_bench_graph"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)


def populate(ctx: object, who: Principal) -> list[list[int]]:
    graph_db = ctx.settings.home / "graph.db"  # type: ignore[attr-defined]
    sqlite3.connect(graph_db).close()  # a source's file must exist; the graph is seeded below
    src = sources.add(ctx, who, "g", f"sqlite:///{graph_db}")  # type: ignore[arg-type]
    now = utcnow()
    layers: list[list[int]] = []
    db = ctx.db  # type: ignore[attr-defined]
    for layer in range(LAYERS):
        rows = [
            {
                "source_id": src["id"],
                "parent_id": None,
                "urn": f"urn:sounding:g:l{layer}.t{i}",
                "type": "table",
                "name": f"t{i}",
                "qualified_name": f"l{layer}.t{i}",
                "tags": [],
                "custom_properties": {},
                "first_seen": now,
                "last_seen": now,
                "updated_at": now,
            }
            for i in range(WIDTH)
        ]
        with db.write() as conn:
            ids = asset_repo.insert_many(conn, rows)
        layers.append(sorted(ids.values()))
    rng = random.Random(42)
    for layer in range(LAYERS - 1):
        edges = [
            {
                "source_id": a,
                "target_id": b,
                "level": "table",
                "confidence": 1.0,
                "origin": "manual",
                "origin_key": f"bench-{layer}",
                "first_seen": now,
                "last_seen": now,
            }
            for a in layers[layer]
            for b in {rng.choice(layers[layer + 1]) for _ in range(FANOUT)}
        ]
        with db.write() as conn:
            conn.execute(sa.insert(lineage_edges), edges)
    # pad to 300,000 edges with edges skipping one layer
    with db.write() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(lineage_edges)).scalar_one()
        extra = [
            {
                "source_id": rng.choice(layers[i % (LAYERS - 2)]),
                "target_id": rng.choice(layers[i % (LAYERS - 2) + 2]),
                "level": "table",
                "confidence": 1.0,
                "origin": "manual",
                "origin_key": f"bench-x{i}",
                "first_seen": now,
                "last_seen": now,
            }
            for i in range(300_000 - total)
        ]
        conn.execute(sa.insert(lineage_edges), extra)
    if db.engine.dialect.name == "postgresql":
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE")
    return layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--store-url",
        default=None,
        help="PostgreSQL server URL (a database "
        "sounding_bench_graph is created on it); default: SQLite",
    )
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = fresh_pg(args.store_url) if args.store_url else None
        ctx = build_context(
            Settings(home=Path(home), database_url=url, secret_key=Fernet.generate_key().decode())
        )
        who = Principal("bench", Role.ADMIN)
        log("populating 100,000 assets and 300,000 edges ...")
        started = time.perf_counter()
        layers = populate(ctx, who)
        load_s = time.perf_counter() - started
        rng = random.Random(7)
        roots = [rng.choice(layers[rng.randrange(5)]) for _ in range(args.queries)]
        lineage.lineage_graph(ctx, who, str(roots[0]), "downstream", 5)  # warm up
        times, sizes = [], []
        for root in roots:
            t = time.perf_counter()
            graph = lineage.lineage_graph(ctx, who, str(root), "downstream", 5)
            times.append((time.perf_counter() - t) * 1000)
            sizes.append(len(graph.nodes))
        ctx.close()
    times.sort()
    print(
        json.dumps(
            {
                "store": "postgresql" if args.store_url else "sqlite",
                "assets": LAYERS * WIDTH,
                "edges": 300_000,
                "depth": 5,
                "queries": len(times),
                "load_s": round(load_s, 1),
                "nodes_per_answer_p50": statistics.median(sizes),
                "p50_ms": round(times[len(times) // 2], 1),
                "p95_ms": round(times[int(len(times) * 0.95)], 1),
                "max_ms": round(times[-1], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
