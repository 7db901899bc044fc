"""Alerts dispatcher throughput: how fast published catalog events become inbox entries.

A SQLite source (``tests.factories``-like shop of 3 tables) is scanned; ``--users`` users
subscribe, half to the source and half to one table; ``--events`` quality events are
published on the source's tables and columns in one transaction; then the dispatcher drains
the outbox (``dispatcher.drain``: batches of 200, each written in one transaction).

    .venv/bin/python bench/alerts.py [--events 5000] [--users 100]

Prints one JSON line: events and notifications per second.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from sounding.config import Settings
from sounding.domain.auth import Principal, Role
from sounding.domain.events import EventKind
from sounding.features.alerts import service as alerts
from sounding.features.alerts.dispatcher import drain
from sounding.services import events, scans, sources
from sounding.services.context import build_context

DDL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount NUMERIC);
CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT, qty INTEGER);
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--users", type=int, default=100)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp())
    db = home / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(DDL)
    settings = Settings(home=home / "home", secret_key=Fernet.generate_key().decode())
    ctx = build_context(settings)
    try:
        operator = Principal("bench", Role.ADMIN)
        sources.add(ctx, operator, "shop", f"sqlite:///{db}")
        scans.run_scan(ctx, operator, "shop")
        drain(ctx)
        with ctx.db.read() as conn:
            query = "SELECT id FROM assets WHERE type IN ('table', 'column')"
            ids = [int(r[0]) for r in conn.execute(sa.text(query))]
        for i in range(args.users):
            who = Principal(f"user{i}", Role.VIEWER)
            if i % 2:
                alerts.subscribe(ctx, who, "source", "shop")
            else:
                alerts.subscribe(ctx, who, "asset", "urn:sounding:shop:main.orders")
        with ctx.db.write() as conn:
            for i in range(args.events):
                events.publish(
                    conn, EventKind.QUALITY_FAILED, f"event {i}", asset_id=ids[i % len(ids)]
                )
        started = time.monotonic()
        done = drain(ctx)
        took = time.monotonic() - started
        print(
            json.dumps(
                {
                    "events": done.events,
                    "notifications": done.notifications,
                    "seconds": round(took, 2),
                    "events_per_second": round(done.events / took),
                    "notifications_per_second": round(done.notifications / took),
                }
            )
        )
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
