"""The judged search corpus: the demo warehouse and lake plus the Chinook, Northwind and
Sakila sample databases, scanned through the real services into a real catalog.

A few demo assets get the curation a data team would give them (descriptions, tags,
domains), and sample-database columns get the helper-assigned personal-data labels from
``sample_dbs/pii_columns_HELPER_ASSIGNED.jsonl`` as classifications, so every field search
reads is exercised. Used by ``tests/search`` and ``bench/search_relevance.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sounding.cli.demo import assign_demo_owners, prepare_demo
from sounding.domain.auth import Principal, Role
from sounding.domain.search import SearchDocument
from sounding.domain.urn import make_urn
from sounding.features.domains import service as domains
from sounding.services import catalog, scans, sources
from tests.conftest import SAMPLE_DBS, make_settings

SAMPLE_SOURCES = ("chinook", "northwind", "sakila")
LABELS = {
    "PERSON_NAME": "PII.Name",
    "EMAIL": "PII.Email",
    "EMAIL_ADDRESS": "PII.Email",
    "PHONE": "PII.Phone",
    "PHONE_NUMBER": "PII.Phone",
    "STREET_ADDRESS": "PII.Address",
    "POSTAL_CODE": "PII.Address.PostalCode",
    "CITY": "PII.Address.City",
    "DATE_OF_BIRTH": "PII.BirthDate",
    "ORGANIZATION": "PII.Organization",
}
# what a data team writes about its most used tables (warehouse source, schema "main")
CURATION: dict[str, dict[str, Any]] = {
    "mart_customer_lifetime_value": {
        "description": "Revenue, margin and order history per customer over the whole "
        "relationship, with a value decile for segmentation.",
        "tags": ["gold", "finance"],
        "domain": "sales",
        "criticality": "high",
    },
    "mart_daily_revenue": {
        "description": "Daily gross sales with a 7-day moving average; feeds the "
        "executive dashboard.",
        "tags": ["gold", "kpi"],
        "domain": "finance",
        "criticality": "critical",
    },
    "raw_web_events": {
        "description": "Clickstream events captured by the website tracker: page views, "
        "add-to-cart and checkout steps.",
        "tags": ["bronze"],
        "domain": "marketing",
    },
    "raw_returns": {
        "description": "Products sent back by customers, with the refund reason.",
        "domain": "logistics",
    },
    "stg_latest_exchange_rates": {
        "description": "Most recent currency conversion rate to US dollars per currency.",
        "domain": "finance",
        "lifecycle": "production",
    },
    "raw_loyalty_members": {
        "description": "Members of the rewards programme and their points balance.",
        "tags": ["pii"],
        "domain": "crm",
    },
}


def operator() -> Principal:
    return Principal("search-corpus", Role.ADMIN)


def build_catalog(home: Path) -> Any:
    """A fresh store under ``home`` with all corpus sources scanned; returns the Context."""
    from sounding.services.context import build_context

    ctx = build_context(make_settings(home))
    actor = operator()
    names = prepare_demo(ctx, actor, home / "data")
    for name in SAMPLE_SOURCES:
        sources.add(ctx, actor, name, f"sqlite:///{SAMPLE_DBS / (name + '.sqlite')}")
        names.append(name)
    for name in names:
        scans.run_scan(ctx, actor, name)
    assign_demo_owners(ctx, actor)
    # an asset's domain must be a domain's (features/domains): create the ones curated below
    for name in sorted({str(c["domain"]) for c in CURATION.values() if c.get("domain")}):
        domains.create_domain(ctx, actor, {"name": name})
    for table, changes in CURATION.items():
        catalog.update_asset(ctx, actor, make_urn("warehouse", ("main", table)), dict(changes))
    return ctx


def _labels() -> dict[tuple[str, str, str], str]:
    out: dict[tuple[str, str, str], str] = {}
    path = SAMPLE_DBS / "pii_columns_HELPER_ASSIGNED.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        label = (row.get("label") or "").split(" ")[0]  # some carry a note after a space
        if label:
            key = (row["db"], row["table"].lower(), row["column"].lower())
            out[key] = LABELS.get(label, "PII." + label.title().replace("_", ""))
    return out


def catalog_documents(ctx: Any, include_deleted: bool = True) -> list[SearchDocument]:
    """Every asset of the catalog as a search document (tables carry their columns)."""
    actor = operator()
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page, total = catalog.list_assets(
            ctx, actor, limit=500, offset=offset, include_deleted=include_deleted
        )
        rows.extend(a.public() for a in page)
        offset += len(page)
        if not page or offset >= total:
            break
    columns: dict[int, list[str]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.get("ordinal") or 0, r["id"])):
        if row["type"] == "column" and row["parent_id"] is not None:
            columns[row["parent_id"]].append(row["name"])
    labels = _labels()
    by_id = {r["id"]: r for r in rows}
    docs = []
    for row in rows:
        classes: tuple[str, ...] = ()
        if row["type"] == "column" and row["parent_id"] in by_id:
            key = (row["source"], by_id[row["parent_id"]]["name"].lower(), row["name"].lower())
            classes = (labels[key],) if key in labels else ()
        docs.append(
            SearchDocument.from_asset(
                row, columns=columns.get(row["id"], ()), classifications=classes
            )
        )
    return docs
