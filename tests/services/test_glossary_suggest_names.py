"""Suggestions through the service on a real source: the names are shaped, columns know their
table, and the glossary's hierarchy and relations reach the matcher (both store backends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sounding.features.glossary import links as glossary_links
from sounding.features.glossary import service as glossary
from sounding.services import scans, sources
from tests.factories import sqlite_source

DDL = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, email TEXT, full_name TEXT);
CREATE TABLE employees (employee_id INTEGER PRIMARY KEY, email TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER, order_total_usd REAL);
CREATE VIEW mart_order_summary AS SELECT order_id, order_total_usd, 1 AS lines FROM orders;
CREATE VIEW mart_daily_revenue AS
    SELECT SUM(order_total_usd) AS revenue_usd, COUNT(*) AS orders,
           COUNT(DISTINCT customer_id) AS customers
    FROM orders;
CREATE VIEW sales_by_region AS SELECT 'EU' AS region, SUM(order_total_usd) AS total_sales
    FROM orders;
"""

CSV = """path,definition,synonyms,abbreviations,related,classifications,status
/Customer,A person who buys,Client,,,,approved
/Customer/Email Address,Email of a customer,Email,,,PII.Email,
/Sales/Order,A purchase,,,/Customer,,
/Sales/Order/Order Total,What the customer pays,,,,,
/Finance/Revenue,Money earned,,,,,
/Finance/Revenue/Net Revenue,Revenue after discounts,Net Sales,,,,
"""


def test_names_are_read_as_compounds_through_the_service(
    any_ctx: Any, operator: Any, tmp_path: Path
) -> None:
    sources.add(any_ctx, operator, "shop", sqlite_source(tmp_path / "shop.db", DDL))
    scans.run_scan(any_ctx, operator, "shop")
    glossary.import_terms(any_ctx, operator, CSV, "csv")
    glossary_links.generate_suggestions(any_ctx, operator, "shop")
    items, _ = glossary_links.list_suggestions(any_ctx, operator, limit=1000)
    pairs = {(i.term_path, i.qualified_name): i for i in items}
    assert set(pairs) == {
        ("/Customer", "main.customers"),
        ("/Customer/Email Address", "main.customers.email"),  # not employees.email
        ("/Sales/Order", "main.orders"),
        ("/Sales/Order", "main.mart_order_summary"),  # a report about orders
        ("/Sales/Order/Order Total", "main.orders.order_total_usd"),
        ("/Sales/Order/Order Total", "main.mart_order_summary.order_total_usd"),
        ("/Finance/Revenue", "main.mart_daily_revenue"),
        ("/Finance/Revenue", "main.mart_daily_revenue.revenue_usd"),
        ("/Finance/Revenue", "main.sales_by_region"),  # 'Net Sales' is to 'Net Revenue'
        ("/Finance/Revenue", "main.sales_by_region.total_sales"),
    }  # no counts (mart_daily_revenue.orders), nothing for the grouping terms /Sales, /Finance
    usd = pairs[("/Sales/Order/Order Total", "main.orders.order_total_usd")]
    assert usd.reasons == ["name 'Order Total' equals 'order_total_usd' without 'usd'"]
