"""A synthetic lineage graph written straight into a store: for tests and benchmarks of the
lineage explorer at sizes no demo reaches.

``populate(ctx, who, nodes=5000, edges=6000)`` adds a source ``g`` whose tables form
``layers`` layers (``l<layer>.t<i>``); every table but those of the first layer reads one
table of the layer before, a few more edges join the pieces into ONE connected graph, and
random edges between neighbouring layers make up the rest. Same seed, same graph.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

import sqlalchemy as sa

from sounding.domain.auth import Principal
from sounding.services import sources
from sounding.services.context import Context
from sounding.store.repos import assets as asset_repo
from sounding.store.repos import utcnow
from sounding.store.tables_lineage import lineage_edges


def populate(
    ctx: Context,
    who: Principal,
    nodes: int = 5000,
    edges: int = 6000,
    layers: int = 10,
    seed: int = 42,
    source: str = "g",
) -> list[list[int]]:
    """The asset ids, layer by layer. ``edges`` must be at least ``nodes - 1`` (the graph is
    connected)."""
    if edges < nodes - 1 or layers < 2 or nodes < layers:
        raise ValueError("need edges >= nodes - 1 and nodes >= layers >= 2")
    db_file = ctx.settings.home / f"{source}.db"
    sqlite3.connect(db_file).close()  # a source's file must exist; its graph is seeded here
    src = sources.add(ctx, who, source, f"sqlite:///{db_file}")
    now = utcnow()
    width = nodes // layers
    sizes = [width + (1 if i < nodes % layers else 0) for i in range(layers)]
    ids: list[list[int]] = []
    owners = ("sales@x.example", "crm@x.example", "finance@x.example", None)
    rows: list[dict[str, Any]] = []
    for layer, size in enumerate(sizes):
        for i in range(size):
            rows.append(
                {
                    "source_id": src["id"],
                    "parent_id": None,
                    "urn": f"urn:sounding:{source}:l{layer}.t{i}",
                    "type": "table",
                    "name": f"t{i}",
                    "qualified_name": f"l{layer}.t{i}",
                    "owner": owners[(layer + i) % len(owners)],
                    "tags": [],
                    "custom_properties": {},
                    "first_seen": now,
                    "last_seen": now,
                    "updated_at": now,
                }
            )
    with ctx.db.write() as conn:
        by_urn = asset_repo.insert_many(conn, rows)
    for layer, size in enumerate(sizes):
        ids.append([by_urn[f"urn:sounding:{source}:l{layer}.t{i}"] for i in range(size)])

    rng = random.Random(seed)
    parent = {n: n for layer in ids for n in layer}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    pairs: set[tuple[int, int]] = set()

    def link(a: int, b: int) -> None:
        pairs.add((a, b))
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb

    for layer in range(1, layers):  # every table reads one of the layer before
        for b in ids[layer]:
            link(rng.choice(ids[layer - 1]), b)
    pieces = len({root(n) for n in parent})
    while pieces > 1:  # join the trees hanging from the first layer
        layer = rng.randrange(layers - 1)
        a, b = rng.choice(ids[layer]), rng.choice(ids[layer + 1])
        if root(a) != root(b):
            link(a, b)
            pieces -= 1
    while len(pairs) < edges:
        layer = rng.randrange(layers - 1)
        pairs.add((rng.choice(ids[layer]), rng.choice(ids[layer + 1])))
    values = [
        {
            "source_id": a,
            "target_id": b,
            "level": "table",
            "confidence": 1.0,
            "origin": "manual",
            "origin_key": f"synthetic-{n}",
            "first_seen": now,
            "last_seen": now,
        }
        for n, (a, b) in enumerate(sorted(pairs))
    ]
    with ctx.db.write() as conn:
        conn.execute(sa.insert(lineage_edges), values)
    return ids
