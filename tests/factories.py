"""Factories for test data: small SQLite sources and helpers to read scan results."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any


def fresh_database_name(kind: str = "test") -> str:
    """A new, unique name for a database a test creates on a shared server:
    ``$SOUNDING_TEST_DATABASE_PREFIX`` (default ``sounding_``), the kind, random hex. Several
    runs sharing one server each set their own prefix to tell their databases apart."""
    prefix = os.environ.get("SOUNDING_TEST_DATABASE_PREFIX") or "sounding_"
    return f"{prefix}{kind}_{uuid.uuid4().hex[:10]}"


SHOP_DDL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    amount NUMERIC(10, 2) DEFAULT 0
);
CREATE VIEW big_orders AS SELECT o.id, c.email FROM orders o JOIN customers c
    ON c.id = o.customer_id WHERE o.amount > 100;
INSERT INTO customers VALUES (1, 'a@example.com', 'Ann'), (2, 'b@example.com', 'Bob');
INSERT INTO orders VALUES (10, 1, 150), (11, 2, 20), (12, 1, 300);
"""


def sqlite_source(path: Path, ddl: str = SHOP_DDL) -> str:
    """Create a SQLite database at ``path`` from ``ddl``; returns its URL."""
    conn = sqlite3.connect(path)
    conn.executescript(ddl)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def execute(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.commit()
    conn.close()


def events_of(ctx: Any, actor: Any, scan_id: int) -> set[tuple[str, str]]:
    """{(qualified name[#column], event type)} of one scan."""
    from sounding.domain.urn import parse_urn
    from sounding.services import scans

    items, _ = scans.scan_events(ctx, actor, scan_id, 100000, 0)
    out = set()
    for ev in items:
        _, path, column = parse_urn(ev.urn)
        name = ".".join(path) + (f"#{column}" if column else "")
        out.add((name, ev.event_type))
    return out


def diffs_of(ctx: Any, actor: Any, scan_id: int) -> dict[tuple[str, str], Any]:
    from sounding.services import scans

    items, _ = scans.scan_events(ctx, actor, scan_id, 100000, 0)
    return {(ev.urn.split(":", 3)[-1], ev.event_type): ev.diff for ev in items}
