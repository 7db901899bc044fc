"""Build the demo workspace: an e-commerce warehouse in one SQLite file plus a folder of files.

The warehouse has 17 ``raw_`` tables (declared primary and foreign keys, see
:mod:`sounding.demo.schema`) and 17 views in two layers on top (see :mod:`sounding.demo.views`):
``stg_`` views clean and enrich raw tables, ``mart_`` views aggregate them, partly from other
views, with joins, CTEs, window functions and a ``UNION ALL``. The lake next to it is described
in :mod:`sounding.demo.lake`.

Everything is generated from ``seed`` with seeded ``random`` and Faker against the fixed
reference date 2026-01-01 (:data:`~sounding.demo.plan.REFERENCE_DATE`), never from the clock,
so one seed gives the same table contents on every build. ``scale`` 1.0 means 2,000 customers,
300 products, 20,012 orders, about 40,000 order items and 26,000 web events.

Planted governance defects (counts at scale 1.0; :func:`~sounding.demo.plan.plan_demo` gives
them for any scale):

* **PCI violation** - ``raw_payment_methods.card_number`` holds full, Luhn-valid card numbers,
  unmasked (``stg_payment_methods`` shows the masked form the raw table should have held).
* **Ownerless personal data** - ``raw_loyalty_members`` (emails, phones, dates of birth) has no
  entry in :data:`TABLE_OWNERS`; every other table and view has one.
* **Incomplete column** - ``raw_customers.phone_number`` is NULL for exactly 30 % of customers
  (600).
* **Duplicate emails** - 20 customers re-registered with another customer's email and name, so
  ``COUNT(email) - COUNT(DISTINCT email)`` is 20 on ``raw_customers``.
* **Referential integrity** - 12 rows of ``raw_orders`` reference customers (ids from 900000)
  that do not exist. The foreign key is declared but SQLite does not enforce it while loading.
* **Out-of-range values** - 25 rows of ``raw_order_items`` have a negative ``quantity``.
* **Stale table** - ``raw_exchange_rates`` stopped loading on 2025-06-30 (``rate_date`` and
  ``loaded_at``) while every other table runs to 2025-12-31.
* Also, as raw data goes: about 4 % of ``raw_orders.order_status`` values are upper- or
  title-cased (``stg_orders`` lower-cases them).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sounding.demo.catalog import generate_catalog
from sounding.demo.common import Rows, ShopCalendar
from sounding.demo.lake import write_lake
from sounding.demo.orders import generate_orders
from sounding.demo.people import generate_people
from sounding.demo.plan import DemoPlan, plan_demo
from sounding.demo.schema import INDEXES, TABLES
from sounding.demo.views import VIEWS
from sounding.demo.web import generate_campaigns, generate_web
from sounding.errors import SoundingError

logger = logging.getLogger(__name__)

WAREHOUSE_FILE = "warehouse.sqlite"
LAKE_DIR = "lake"
OWNERLESS_TABLE = "raw_loyalty_members"

_TEAM_TABLES = {
    "crm-data@shop.example": (
        "raw_customers raw_customer_addresses stg_customers mart_customer_lifetime_value"
        " mart_customer_activity mart_cohort_retention"
    ),
    "payments@shop.example": (
        "raw_payment_methods raw_exchange_rates stg_payment_methods stg_latest_exchange_rates"
    ),
    "sales-analytics@shop.example": (
        "raw_orders raw_order_items stg_orders stg_order_items mart_order_summary"
        " mart_daily_revenue"
    ),
    "merchandising@shop.example": (
        "raw_products raw_categories raw_suppliers stg_products mart_product_performance"
    ),
    "logistics@shop.example": (
        "raw_warehouses raw_shipments raw_returns raw_inventory_snapshots stg_shipments"
        " mart_inventory_health mart_shipping_performance"
    ),
    "growth@shop.example": (
        "raw_marketing_campaigns raw_web_sessions raw_web_events stg_web_sessions"
        " mart_campaign_performance"
    ),
}
TABLE_OWNERS: dict[str, str] = {
    name: owner for owner, names in _TEAM_TABLES.items() for name in names.split()
}
"""Suggested owner of every table and view except :data:`OWNERLESS_TABLE` (a planted defect)."""


@dataclass(frozen=True)
class DemoWorkspace:
    """Where a built demo lives: the warehouse file and the lake folder."""

    warehouse_path: Path
    files_dir: Path

    def sources(self) -> list[tuple[str, str]]:
        """``(name, url)`` of each data source to register: the warehouse and the lake."""
        return [
            ("warehouse", f"sqlite:///{self.warehouse_path}"),
            ("lake", self.files_dir.as_uri()),
        ]


def build_demo_workspace(target_dir: Path, *, seed: int = 7, scale: float = 1.0) -> DemoWorkspace:
    """Generate the demo warehouse and lake into ``target_dir``, replacing earlier ones.

    Both are built in a scratch folder inside ``target_dir`` and moved into place at the end, so
    a failed build leaves an earlier workspace untouched. Other files in ``target_dir`` stay.
    """
    plan = plan_demo(seed, scale)
    target = Path(target_dir).resolve()
    workspace = DemoWorkspace(target / WAREHOUSE_FILE, target / LAKE_DIR)
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".demo-build-", dir=target) as scratch:
            staged_db = Path(scratch) / WAREHOUSE_FILE
            staged_lake = Path(scratch) / LAKE_DIR
            write_warehouse(staged_db, generate_rows(plan))
            write_lake(plan, staged_db, staged_lake)
            _replace(staged_db, workspace.warehouse_path, staged_lake, workspace.files_dir)
    except (OSError, sqlite3.Error, duckdb.Error) as exc:
        raise SoundingError(
            f"Failed to build the demo workspace in '{target}': {exc}", target=str(target)
        ) from exc
    logger.info("Built demo workspace in %s (seed=%s, scale=%s)", target, seed, scale)
    return workspace


def generate_rows(plan: DemoPlan) -> Rows:
    """Every row of every warehouse table, keyed by table name."""
    calendar = ShopCalendar.build()
    people = generate_people(plan)
    catalog = generate_catalog(plan)
    campaigns = generate_campaigns(plan)
    rows: Rows = {**people.rows, **catalog.rows, "raw_marketing_campaigns": campaigns.rows}
    rows.update(generate_orders(plan, people.customers, catalog, campaigns, calendar))
    rows.update(generate_web(plan, people.customers, catalog, campaigns, calendar))
    return rows


def write_warehouse(path: Path, rows: Rows) -> None:
    """Create tables, load ``rows`` with foreign keys off, then add indexes and views."""
    missing = sorted(set(TABLES) - set(rows))
    if missing:
        raise SoundingError(f"No demo rows generated for tables: {', '.join(missing)}")
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA foreign_keys = OFF")  # orphan orders are a planted defect
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        with db:
            for table, ddl in TABLES.items():
                db.execute(ddl)
                table_rows = rows[table]
                placeholders = ", ".join("?" * len(table_rows[0]))
                db.executemany(f"INSERT INTO {table} VALUES ({placeholders})", table_rows)
            for statement in INDEXES:
                db.execute(statement)
            for ddl in VIEWS.values():
                db.execute(ddl)
        db.execute("ANALYZE")


def _replace(staged_db: Path, db: Path, staged_lake: Path, lake: Path) -> None:
    for stale in (db.with_name(db.name + suffix) for suffix in ("-journal", "-wal", "-shm")):
        stale.unlink(missing_ok=True)
    staged_db.replace(db)
    if lake.is_dir():
        shutil.rmtree(lake)
    elif lake.exists():
        lake.unlink()
    staged_lake.rename(lake)
