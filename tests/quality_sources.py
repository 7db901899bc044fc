"""Small source tables with planted quality defects, for any SQL backend (and as files).

``customers`` (100 rows, primary key ``id``) and ``orders`` (41 rows). The defects and the
exact failing counts the quality tests assert:

=========================  =========================================================  =====
rule                       defect                                                     fails
=========================  =========================================================  =====
not_null(phone)            ids 15, 30, 45, 60, 75, 90 have no phone                      6
unique(email)              ids 91-94 reuse the emails of ids 1-4                          4
accepted_values(status)    ids 10, 20, 30 are 'deleted' (ids 11, 21: NULL, not counted)   3
range(score) 0..100        ids 50 (-5), 51 (150), 52 (100.5)                              3
regex(email)               ids 95-100 'bad<i>', id 89 upper-cased (case-sensitive)        7
freshness(created_at)      newest 2025-06-30; 30d before 2026-01-01 is stale          1 (table)
row_count min 150          100 rows                                                   1 (table)
referential_integrity      orders 32-40 reference customers 900032..900040; 41 NULL      9
custom_sql qty > 9         orders 10, 11, 22, 23, 34, 35                                  6
=========================  =========================================================  =====
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

EMAIL_PATTERN = r"^[a-z0-9]+@[a-z]+\.com$"
EXPECTED = {
    "not_null(phone)": 6,
    "unique(email)": 4,
    "accepted_values(status)": 3,
    "range(score)": 3,
    "regex(email)": 7,
    "freshness(created_at)": 1,
    "row_count": 1,
    "referential_integrity(customer_id)": 9,
    "custom_sql": 6,
}


def customer_rows() -> list[dict[str, Any]]:
    rows = []
    last = datetime(2025, 6, 30)
    for i in range(1, 101):
        email = f"user{i}@example.com"
        if 91 <= i <= 94:
            email = f"user{i - 90}@example.com"
        elif i >= 95:
            email = f"bad{i}"
        elif i == 89:
            email = "USER89@EXAMPLE.COM"
        status: str | None = "active" if i % 2 == 0 else "inactive"
        if i in (10, 20, 30):
            status = "deleted"
        elif i in (11, 21):
            status = None
        score = {50: -5.0, 51: 150.0, 52: 100.5}.get(i, float(i))
        rows.append(
            {
                "id": i,
                "email": email,
                "phone": None if i % 15 == 0 else f"+1-555-{i:04d}",
                "status": status,
                "score": score,
                "created_at": last - timedelta(days=100 - i),
            }
        )
    return rows


def order_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(1, 42):
        customer: int | None = i % 100 + 1
        if 32 <= i <= 40:
            customer = 900000 + i
        elif i == 41:
            customer = None
        rows.append({"id": i, "customer_id": customer, "qty": i % 12})
    return rows


def build(url: str) -> None:
    """Create and fill both tables in the database at ``url``."""
    meta = sa.MetaData()
    customers = sa.Table(
        "customers",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(100)),
        sa.Column("phone", sa.String(30)),
        sa.Column("status", sa.String(20)),
        sa.Column("score", sa.Float),
        sa.Column("created_at", sa.DateTime),
    )
    orders = sa.Table(
        "orders",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("customer_id", sa.Integer),
        sa.Column("qty", sa.Integer),
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        meta.create_all(conn)
        conn.execute(sa.insert(customers), customer_rows())
        conn.execute(sa.insert(orders), order_rows())
    engine.dispose()


def rule_file(source: str, customers: str, orders: str) -> str:
    """The YAML rule file covering every rule kind on the planted tables."""
    return f"""
source: {source}
tables:
  {customers}:
    - {{kind: not_null, column: phone}}
    - {{kind: unique, column: email, severity: warning}}
    - {{kind: accepted_values, column: status, values: [active, inactive]}}
    - {{kind: range, column: score, min: 0, max: 100}}
    - kind: regex
      column: email
      pattern: '{EMAIL_PATTERN}'
    - {{kind: freshness, column: created_at, max_age: 30d, as_of: "2026-01-01"}}
    - {{kind: freshness, column: created_at, max_age: 365d, as_of: "2026-01-01",
        name: fresh_within_a_year}}
    - {{kind: row_count, min: 150}}
    - {{kind: row_count_change, max_change: 0.1}}
  {orders}:
    - kind: referential_integrity
      column: customer_id
      references: {{table: {customers}, column: id}}
    - kind: custom_sql
      sql: "SELECT * FROM {{table}} WHERE qty > 9"
      dimension: accuracy
"""
