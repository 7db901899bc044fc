"""Clean, non-sensitive reference data: categories, products, warehouses, stock, exchange rates."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sounding.demo.common import Row, Rows, ascii_slug, fmt_date, fmt_ts, random_datetime
from sounding.demo.plan import STALE_AFTER, DemoPlan

# department -> leaf category -> (product nouns, min price, max price) in USD
DEPARTMENTS: dict[str, dict[str, tuple[tuple[str, ...], float, float]]] = {
    "Electronics": {
        "Headphones & Audio": (("Wireless Headphones", "Earbuds", "Bluetooth Speaker"), 25, 320),
        "Computer Accessories": (("Mechanical Keyboard", "Wireless Mouse", "USB-C Hub"), 15, 180),
        "Phone Accessories": (("Phone Case", "Power Bank", "Wireless Charger"), 9, 80),
    },
    "Home & Kitchen": {
        "Cookware": (("Frying Pan", "Dutch Oven", "Chef's Knife", "Cutting Board"), 18, 240),
        "Home Decor": (("Table Lamp", "Throw Pillow", "Wall Clock", "Ceramic Vase"), 12, 150),
        "Bedding": (("Duvet Cover", "Pillowcase Set", "Weighted Blanket"), 25, 190),
    },
    "Fashion": {
        "Men's Clothing": (("T-Shirt", "Hoodie", "Chinos", "Rain Jacket"), 15, 160),
        "Women's Clothing": (("Summer Dress", "Cardigan", "Leggings", "Blouse"), 15, 150),
        "Shoes": (("Running Shoes", "Sneakers", "Ankle Boots", "Sandals"), 35, 210),
        "Bags & Accessories": (("Backpack", "Leather Wallet", "Sunglasses", "Beanie"), 10, 140),
    },
    "Sports & Outdoors": {
        "Fitness": (("Yoga Mat", "Kettlebell", "Resistance Bands", "Foam Roller"), 12, 120),
        "Camping": (("Two-Person Tent", "Sleeping Bag", "Camping Stove", "Headlamp"), 15, 380),
        "Cycling": (("Bike Helmet", "Bike Light Set", "Cycling Gloves"), 12, 140),
    },
    "Beauty & Health": {
        "Skincare": (("Face Serum", "Moisturiser", "Sunscreen SPF 50", "Cleansing Balm"), 8, 70),
        "Fragrance": (("Eau de Parfum", "Body Mist"), 20, 140),
    },
    "Toys & Games": {
        "Board Games": (("Strategy Board Game", "Party Card Game", "1000-Piece Puzzle"), 12, 70),
        "Building Sets": (("Building Block Set", "Marble Run"), 20, 160),
    },
}
_BRANDS = ("Northwind", "Lumen", "Aster", "Kestrel", "Orbit", "Fjord", "Tidal", "Cobalt", "Juniper")
_STYLES = (
    "Classic",
    "Essential",
    "Pro",
    "Ultra",
    "Eco",
    "Compact",
    "Premium",
    "Everyday",
    "Travel",
)
_COLORS = ("black", "white", "navy", "sage green", "terracotta", "charcoal", "sand", "red", "blue")
_PITCHES = (
    "built to last for years of daily use",
    "designed with recycled materials",
    "our best-selling pick in its range",
    "light enough to take anywhere",
    "backed by a two-year warranty",
)
_DETAILS = (
    "Easy to clean and care for.",
    "Tested by our team for comfort and durability.",
    "Arrives in plastic-free packaging.",
    "Pairs well with the rest of the collection.",
    "Free returns within 30 days.",
)
WAREHOUSES: tuple[tuple[str, str, str, str, str], ...] = (
    ("NJ01", "Newark Fulfilment Center", "Newark", "US", "2019-03-01"),
    ("RNO1", "Reno Fulfilment Center", "Reno", "US", "2021-08-15"),
    ("AMS1", "Amsterdam Hub", "Amsterdam", "NL", "2020-05-04"),
    ("FRA1", "Frankfurt Hub", "Frankfurt am Main", "DE", "2022-02-01"),
    ("LHR1", "London Heathrow Hub", "Hounslow", "GB", "2021-01-11"),
)
RATES_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}
"""Typical rates: list prices are in USD, orders in the customer's currency."""


@dataclass(frozen=True)
class Product:
    product_id: int
    sku: str
    slug: str
    price_usd: float
    popularity: float
    is_active: bool


@dataclass
class Catalog:
    products: list[Product]
    rows: Rows

    @property
    def popularity_cumulative(self) -> list[float]:
        return list(itertools.accumulate(product.popularity for product in self.products))


def generate_catalog(plan: DemoPlan) -> Catalog:
    rng = plan.rng("catalog")
    categories: list[Row] = []
    leaves: list[tuple[int, str, str, str, tuple[str, ...], float, float]] = []
    for department, children in DEPARTMENTS.items():
        department_id = len(categories) + 1
        categories.append((department_id, None, department, ascii_slug(department, "-"), 1))
        for leaf, (nouns, low, high) in children.items():
            leaf_id = len(categories) + 1
            slug = ascii_slug(leaf, "-")
            categories.append((leaf_id, department_id, leaf, slug, 1))
            leaves.append((leaf_id, department[:3].upper(), leaf, slug, nouns, low, high))
    products: list[Product] = []
    product_rows: list[Row] = []
    for product_id in range(1, plan.products + 1):
        leaf_id, dept_code, _leaf, slug, nouns, low, high = leaves[(product_id - 1) % len(leaves)]
        brand, style, noun = rng.choice(_BRANDS), rng.choice(_STYLES), rng.choice(nouns)
        color = rng.choice(_COLORS)
        price = max(round(rng.uniform(low, high)) - 0.01, 4.99)
        sku = f"{dept_code}-{slug[:3].upper()}-{product_id:05d}"
        active = rng.random() < 0.93
        created = random_datetime(rng, datetime(2022, 6, 1), datetime(2025, 9, 30))
        updated = random_datetime(rng, created, datetime(2025, 12, 31))
        description = (
            f"The {brand} {style} {noun} in {color}, {rng.choice(_PITCHES)}. {rng.choice(_DETAILS)}"
        )
        popularity = 1.0 / (rng.randrange(1, plan.products + 1) ** 0.9)
        products.append(Product(product_id, sku, slug, price, popularity, active))
        product_rows.append(
            (
                product_id,
                sku,
                f"{brand} {style} {noun}",
                description,
                leaf_id,
                rng.randint(1, plan.suppliers),
                price,
                round(price * rng.uniform(0.35, 0.65), 2),
                rng.randrange(80, 4_000, 10),
                color,
                int(active),
                fmt_ts(created),
                fmt_ts(updated),
            )
        )
    rows: Rows = {
        "raw_categories": categories,
        "raw_products": product_rows,
        "raw_warehouses": list(WAREHOUSES),
    }
    catalog = Catalog(products, rows)
    rows["raw_inventory_snapshots"] = _inventory_rows(plan, catalog)
    rows["raw_exchange_rates"] = _exchange_rate_rows(plan)
    return catalog


def _inventory_rows(plan: DemoPlan, catalog: Catalog) -> list[Row]:
    """Weekly stock per product in two or three warehouses over the last quarter.

    Stock follows each product's expected demand, so days of cover look plausible.
    """
    rng = plan.rng("inventory")
    sundays = [date(2025, 10, 5) + timedelta(weeks=week) for week in range(13)]
    codes = [warehouse[0] for warehouse in WAREHOUSES]
    total_popularity = sum(product.popularity for product in catalog.products)
    weekly_units = plan.orders * 2.6 / 104  # items per order x units per item / weeks
    rows: list[Row] = []
    for product in catalog.products:
        stocked = sorted(rng.sample(codes, rng.choice((2, 2, 3))))
        demand = weekly_units * product.popularity / total_popularity / len(stocked)
        for code in stocked:
            reorder_point = math.ceil(demand * 2) + rng.randrange(2, 6)
            on_hand = rng.randrange(0, math.ceil(demand * 10) + 10)
            for sunday in sundays:
                on_hand = max(on_hand - round(demand * rng.uniform(0.5, 1.5)), 0)
                if on_hand < reorder_point and rng.random() < 0.7:
                    on_hand += math.ceil(demand * rng.uniform(4, 8)) + 5
                reserved = min(on_hand, round(demand * rng.uniform(0, 0.4)))
                snapshot_id = len(rows) + 1
                row = (snapshot_id, product.product_id, code, fmt_date(sunday), on_hand, reserved)
                rows.append((*row, reorder_point))
    return rows


def _exchange_rate_rows(plan: DemoPlan) -> list[Row]:
    """Daily rates to USD. Defect: the feed stopped after :data:`STALE_AFTER` (stale table)."""
    rng = plan.rng("exchange_rates")
    rows: list[Row] = []
    levels = dict(RATES_TO_USD)
    day = date(2024, 1, 1)
    while day <= STALE_AFTER:
        loaded = datetime(day.year, day.month, day.day, 6, rng.randrange(60)) + timedelta(days=1)
        for currency in sorted(levels):
            if currency != "USD":
                levels[currency] = round(levels[currency] * (1 + rng.gauss(0, 0.003)), 6)
            source = "ECB" if currency != "USD" else "identity"
            rows.append((currency, fmt_date(day), levels[currency], source, fmt_ts(loaded)))
        day += timedelta(days=1)
    return rows
