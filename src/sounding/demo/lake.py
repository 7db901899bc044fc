"""The demo "lake": a folder of CSV, Parquet and NDJSON files next to the warehouse.

::

    lake/
      marketing_leads.csv            names, emails, phones (some leads are existing customers)
      product_catalog_export.csv     clean product data exported from the warehouse
      clickstream.parquet            last quarter of web events with IP addresses
      support_tickets.ndjson         free-text bodies with emails and phone numbers in sentences
      app_events/date=YYYY-MM-DD/part-0.parquet
                                     one dataset in hive-style daily partitions (last 14 days)

Parquet files are written by DuckDB (``COPY ... TO ... (FORMAT parquet)``) from CSV staged in a
scratch folder that is removed afterwards. Data read from the warehouse is ordered, so the lake
is as deterministic as the warehouse.
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from sounding.demo.common import (
    Row,
    ascii_slug,
    company_domain,
    fmt_ts,
    random_datetime,
    random_time_of_day,
)
from sounding.demo.people import COUNTRIES, make_faker
from sounding.demo.plan import REFERENCE_DATE, DemoPlan

PARTITIONED_DATASET = "app_events"
PARTITION_DAYS = 14
_LEAD_SOURCES = ("webinar", "trade_show", "content_download", "partner_referral", "newsletter")
_CLICKSTREAM_COLUMNS = (
    ("event_id", "BIGINT"),
    ("session_id", "VARCHAR"),
    ("customer_id", "BIGINT"),
    ("event_type", "VARCHAR"),
    ("page_url", "VARCHAR"),
    ("product_id", "BIGINT"),
    ("event_at", "TIMESTAMP"),
    ("ip_address", "VARCHAR"),
    ("device_type", "VARCHAR"),
    ("browser", "VARCHAR"),
)
_APP_EVENT_COLUMNS = (
    ("event_id", "BIGINT"),
    ("event_at", "TIMESTAMP"),
    ("user_id", "BIGINT"),
    ("event_name", "VARCHAR"),
    ("screen", "VARCHAR"),
    ("device_os", "VARCHAR"),
    ("app_version", "VARCHAR"),
    ("duration_ms", "INTEGER"),
    ("event_date", "DATE"),
)
_APP_EVENTS = (
    ("app_open", 30),
    ("screen_view", 40),
    ("search", 12),
    ("add_to_cart", 10),
    ("purchase", 3),
    ("push_opened", 5),
)
_SCREENS = ("home", "search", "product", "cart", "checkout", "account", "orders")
_TICKET_TOPICS = (
    ("Where is my order?", "my order #{order} still hasn't arrived and tracking stopped updating"),
    ("Refund not received", "I returned order #{order} two weeks ago but the refund is missing"),
    ("Wrong size delivered", "order #{order} came in the wrong size and I need an exchange"),
    ("Change delivery address", "I moved and need order #{order} sent somewhere else"),
    ("Damaged item", "one item in order #{order} arrived broken"),
    ("Account access", "I can't log in to my account since the last password reset"),
)


def write_lake(plan: DemoPlan, warehouse: Path, lake: Path) -> None:
    """Write every lake file into the (new, empty) folder ``lake``."""
    lake.mkdir(parents=True)
    scratch = lake.parent / f".{lake.name}-staging"
    scratch.mkdir()
    with closing(sqlite3.connect(warehouse)) as db, closing(duckdb.connect()) as duck:
        _write_leads(plan, db, lake / "marketing_leads.csv")
        _write_catalog_export(db, lake / "product_catalog_export.csv")
        _write_tickets(plan, db, lake / "support_tickets.ndjson")
        clicks = db.execute(
            "SELECT e.event_id, e.session_id, s.customer_id, e.event_type, e.page_url,"
            " e.product_id, e.event_at, s.ip_address, s.device_type, s.browser"
            " FROM raw_web_events AS e JOIN raw_web_sessions AS s ON s.session_id = e.session_id"
            " WHERE e.event_at >= '2025-10-01' ORDER BY e.event_id"
        ).fetchall()
        _stage(duck, scratch / "clickstream.csv", "clickstream", _CLICKSTREAM_COLUMNS, clicks)
        _copy_parquet(duck, "SELECT * FROM clickstream", lake / "clickstream.parquet")
        customer_ids = [row[0] for row in db.execute("SELECT customer_id FROM raw_customers")]
        app_events = _app_events(plan, customer_ids)
        _stage(duck, scratch / "app_events.csv", "app_events", _APP_EVENT_COLUMNS, app_events)
        columns = ", ".join(name for name, _ in _APP_EVENT_COLUMNS if name != "event_date")
        for offset in range(PARTITION_DAYS, 0, -1):
            day = REFERENCE_DATE - timedelta(days=offset)
            part = lake / PARTITIONED_DATASET / f"date={day.isoformat()}" / "part-0.parquet"
            part.parent.mkdir(parents=True)
            query = (
                f"SELECT {columns} FROM app_events"
                f" WHERE event_date = DATE '{day.isoformat()}' ORDER BY event_id"
            )
            _copy_parquet(duck, query, part)
    for staged in scratch.iterdir():
        staged.unlink()
    scratch.rmdir()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _stage(
    duck: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[object]],
) -> None:
    _write_csv(path, [name for name, _ in columns], rows)
    types = ", ".join(f"{_sql_string(name)}: {_sql_string(kind)}" for name, kind in columns)
    duck.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_csv({_sql_string(str(path))},"
        f" header = true, columns = {{{types}}})"
    )


def _copy_parquet(duck: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    duck.execute(f"COPY ({query}) TO {_sql_string(str(target))} (FORMAT parquet)")


def _write_leads(plan: DemoPlan, db: sqlite3.Connection, path: Path) -> None:
    """Marketing leads; about one in six is already a customer (same name and email)."""
    rng = plan.rng("leads")
    fake = make_faker(plan, "leads")
    known = db.execute(
        "SELECT first_name, last_name, email, phone_number, country_code FROM raw_customers"
        " ORDER BY customer_id"
    ).fetchall()
    rows: list[Row] = []
    for lead_id in range(1, plan.leads + 1):
        country = rng.choice(COUNTRIES)
        local = fake[country.locale]
        company = local.company()
        if rng.random() < 0.16:
            first, last, email, phone, code = rng.choice(known)
        else:
            first, last, code = local.first_name(), local.last_name(), country.code
            domain = company_domain(company)
            email = f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}"
            phone = local.phone_number()
        created = random_datetime(rng, datetime(2025, 1, 1), datetime(2025, 12, 31))
        source = rng.choice(_LEAD_SOURCES)
        consent = "yes" if rng.random() < 0.7 else "no"
        row = (lead_id, first, last, email, phone, company, local.job(), code, source)
        rows.append((*row, fmt_ts(created), consent))
    header = (
        "lead_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "job_title",
        "country_code",
        "lead_source",
        "created_at",
        "marketing_consent",
    )
    _write_csv(path, header, rows)


def _write_catalog_export(db: sqlite3.Connection, path: Path) -> None:
    rows = db.execute(
        "SELECT p.sku, p.product_name, c.category_name, d.category_name, p.unit_price, 'USD',"
        " p.weight_grams, p.color, CASE WHEN p.is_active = 1 THEN 'true' ELSE 'false' END,"
        " '2025-12-31 23:00:00'"
        " FROM raw_products AS p JOIN raw_categories AS c ON c.category_id = p.category_id"
        " LEFT JOIN raw_categories AS d ON d.category_id = c.parent_category_id"
        " ORDER BY p.sku"
    ).fetchall()
    header = (
        "sku",
        "product_name",
        "category",
        "department",
        "list_price",
        "currency",
        "weight_grams",
        "color",
        "is_active",
        "exported_at",
    )
    _write_csv(path, header, rows)


def _write_tickets(plan: DemoPlan, db: sqlite3.Connection, path: Path) -> None:
    """Support tickets whose free text mentions emails, phone numbers and order numbers."""
    rng = plan.rng("tickets")
    fake = make_faker(plan, "tickets")
    orders = db.execute(
        "SELECT o.order_id, o.ordered_at, c.customer_id, c.first_name, c.full_name, c.email,"
        " c.phone_number, c.country_code FROM raw_orders AS o"
        " JOIN raw_customers AS c ON c.customer_id = o.customer_id ORDER BY o.order_id"
    ).fetchall()
    locales = {country.code: country.locale for country in COUNTRIES}
    with path.open("w", encoding="utf-8") as handle:
        for ticket_id in range(1, plan.support_tickets + 1):
            order_id, ordered_at, customer_id, first, full, email, phone, code = rng.choice(orders)
            local = fake[locales[str(code)]]
            subject, problem = rng.choice(_TICKET_TOPICS)
            opened = datetime.fromisoformat(str(ordered_at)) + timedelta(
                hours=rng.randrange(6, 400)
            )
            body = _ticket_body(
                rng,
                problem.format(order=order_id),
                str(first),
                str(full),
                email,
                phone or local.phone_number(),
                local.free_email(),
            )
            ticket = {
                "ticket_id": f"TCK-{100_000 + ticket_id}",
                "customer_id": customer_id,
                "created_at": fmt_ts(min(opened, datetime(2025, 12, 31, 22))),
                "channel": rng.choices(("email", "chat", "web_form", "phone"), (45, 30, 20, 5))[0],
                "priority": rng.choices(("low", "normal", "high", "urgent"), (20, 55, 20, 5))[0],
                "status": rng.choices(("open", "pending", "solved", "closed"), (10, 10, 35, 45))[0],
                "subject": subject,
                "body": body,
                "tags": sorted(rng.sample(("shipping", "refund", "account", "vip", "repeat"), 2)),
            }
            handle.write(json.dumps(ticket, ensure_ascii=False) + "\n")


def _ticket_body(
    rng: random.Random,
    problem: str,
    first: str,
    full: str,
    email: object,
    phone: object,
    other_email: str,
) -> str:
    opening = rng.choice((f"Hi, this is {full}.", f"Hello team, {first} here.", "Hi there!"))
    contact = rng.choice(
        (
            f"You can reach me at {email} or call me on {phone}.",
            f"Please reply to {other_email} instead of my account email, I no longer use it.",
            f"My phone number is {phone} if it's easier to call, I'm free after 5pm.",
            f"Please email me at {email}.",
            "Thanks in advance.",
        )
    )
    return f"{opening} {problem[0].upper()}{problem[1:]}. {contact}"


def _app_events(plan: DemoPlan, customer_ids: list[int]) -> list[Row]:
    rng = plan.rng("app_events")
    names = [event[0] for event in _APP_EVENTS]
    weights = [event[1] for event in _APP_EVENTS]
    rows: list[Row] = []
    for offset in range(PARTITION_DAYS, 0, -1):
        day: date = REFERENCE_DATE - timedelta(days=offset)
        moments = sorted(random_time_of_day(rng, day) for _ in range(plan.app_events_per_day))
        for moment in moments:
            device_os = rng.choices(("iOS", "Android"), weights=(55, 45))[0]
            version = rng.choice(("4.12.0", "4.12.1", "4.13.0", "4.13.2"))
            event = rng.choices(names, weights=weights)[0]
            row = (len(rows) + 1, fmt_ts(moment), rng.choice(customer_ids), event)
            rows.append(
                (
                    *row,
                    rng.choice(_SCREENS),
                    device_os,
                    version,
                    rng.randrange(40, 9_000),
                    day.isoformat(),
                )
            )
    return rows
