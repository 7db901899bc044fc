"""Orders and what follows them: order items, shipments and returns.

Plants three defects (see :mod:`sounding.demo.warehouse`): orders of customers that do not
exist, order items with negative quantities, and inconsistently cased raw statuses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sounding.demo.catalog import RATES_TO_USD, Catalog, Product
from sounding.demo.common import Row, Rows, ShopCalendar, fmt_ts, random_time_of_day
from sounding.demo.people import Customer
from sounding.demo.plan import REFERENCE_TIME, DemoPlan
from sounding.demo.web import Campaigns

ORPHAN_CUSTOMER_BASE = 900_000
"""Orphan orders point at customer ids from here on; no such customer exists."""
_COUPONS = ("WELCOME10", "SPRING15", "SUMMER20", "BFCM25", "LOYAL10", "FREESHIP")
_CARRIERS = {
    "US": (("UPS", "1Z", 16), ("FedEx", "", 12), ("USPS", "94", 20)),
    "GB": (("Royal Mail", "RM", 11), ("DPD UK", "15", 12), ("Evri", "H0", 14)),
    "EU": (("DHL", "JJD", 14), ("DPD", "05", 12), ("PostNL", "3S", 13), ("GLS", "", 11)),
}
_WAREHOUSES = {"US": ("NJ01", "RNO1"), "GB": ("LHR1",), "EU": ("AMS1", "FRA1")}
_RETURN_REASONS = (
    ("wrong_size", 30),
    ("changed_mind", 25),
    ("damaged_in_transit", 15),
    ("not_as_described", 15),
    ("arrived_late", 8),
    ("other", 7),
)
_ITEM_COUNTS = ((1, 2, 3, 4, 5, 6), (45, 27, 14, 8, 4, 2))

ItemRow = tuple[int, int, int, int, float, float]
"""order_item_id, order_id, product_id, quantity, unit_price, discount_amount"""


@dataclass
class _Order:
    ordered_at: datetime
    customer: Customer | None
    orphan_customer_id: int = 0
    order_id: int = 0


def generate_orders(
    plan: DemoPlan,
    customers: list[Customer],
    catalog: Catalog,
    campaigns: Campaigns,
    calendar: ShopCalendar,
) -> Rows:
    rng = plan.rng("orders")
    popularity = catalog.popularity_cumulative
    order_rows: list[Row] = []
    items: list[ItemRow] = []
    shipments: list[Row] = []
    returns: list[Row] = []
    returned_item_ids: set[int] = set()
    for order in _order_skeletons(rng, plan, customers, calendar):
        status = _status(rng, order.ordered_at)
        products = rng.choices(catalog.products, cum_weights=popularity, k=_item_count(rng))
        order_items = _item_rows(rng, order, products, len(items) + 1)
        items.extend(order_items)
        items_total = sum(row[3] * row[4] - row[5] for row in order_items)
        order_rows.append(_order_row(rng, order, status, items_total, campaigns))
        if status.lower() in ("shipped", "delivered", "returned"):
            shipped, delivered = _ship_times(rng, order, status)
            shipments.append(_shipment_row(rng, order, len(shipments) + 1, shipped, delivered))
            if status.lower() == "returned":
                chosen = rng.sample(order_items, rng.randint(1, len(order_items)))
                returned_item_ids.update(item[0] for item in chosen)
                returns.extend(_return_rows(rng, chosen, delivered or shipped, len(returns) + 1))
    _plant_negative_quantities(rng, items, returned_item_ids, plan.negative_quantities)
    return {
        "raw_orders": order_rows,
        "raw_order_items": list[Row](items),
        "raw_shipments": shipments,
        "raw_returns": returns,
    }


def _order_skeletons(
    rng: random.Random, plan: DemoPlan, customers: list[Customer], calendar: ShopCalendar
) -> list[_Order]:
    weights = [c.activity * calendar.share_from(c.signup_at.date()) for c in customers]
    buyers = rng.choices(customers, weights=weights, k=plan.orders)
    orders = [
        _Order(random_time_of_day(rng, calendar.pick_day(rng, buyer.signup_at.date())), buyer)
        for buyer in buyers
    ]
    # Defect: a few orders of customers that were never loaded (referential integrity).
    for number in range(plan.orphan_orders):
        day = calendar.pick_day(rng)
        orders.append(_Order(random_time_of_day(rng, day), None, ORPHAN_CUSTOMER_BASE + number))
    orders.sort(key=lambda order: order.ordered_at)
    for order_id, order in enumerate(orders, start=10_001):
        order.order_id = order_id
    return orders


def _status(rng: random.Random, ordered_at: datetime) -> str:
    age_days = (REFERENCE_TIME - ordered_at).total_seconds() / 86_400
    if age_days < 2:
        status = rng.choice(("pending", "processing"))
    elif age_days < 6:
        status = rng.choices(("processing", "shipped", "cancelled"), weights=(15, 80, 5))[0]
    else:
        status = rng.choices(("delivered", "cancelled", "returned"), weights=(89, 6, 5))[0]
    draw = rng.random()
    if draw < 0.02:
        return status.upper()
    if draw < 0.04:
        return status.title()
    return status


def _item_count(rng: random.Random) -> int:
    return rng.choices(_ITEM_COUNTS[0], weights=_ITEM_COUNTS[1])[0]


def _currency(order: _Order) -> str:
    return order.customer.country.currency if order.customer else "USD"


def _item_rows(
    rng: random.Random, order: _Order, products: list[Product], first_id: int
) -> list[ItemRow]:
    rate = RATES_TO_USD[_currency(order)]
    unique = {product.product_id: product for product in products}
    rows: list[ItemRow] = []
    for item_id, product in enumerate(unique.values(), start=first_id):
        quantity = rng.choices((1, 2, 3, 4), weights=(78, 15, 5, 2))[0]
        unit_price = round(product.price_usd / rate, 2)
        discount = round(quantity * unit_price * rng.uniform(0.05, 0.2), 2)
        discount = discount if rng.random() < 0.1 else 0.0
        rows.append((item_id, order.order_id, product.product_id, quantity, unit_price, discount))
    return rows


def _order_row(
    rng: random.Random, order: _Order, status: str, items_total: float, campaigns: Campaigns
) -> Row:
    customer = order.customer
    payment_method_id = rng.choice(customer.payment_method_ids) if customer else None
    address_id = None
    if customer:
        address_id = customer.address_ids[-1] if rng.random() < 0.4 else customer.address_ids[0]
    active = campaigns.active_on(order.ordered_at.date())
    campaign_id = rng.choice(active).campaign_id if active and rng.random() < 0.3 else None
    coupon = rng.choice(_COUPONS) if rng.random() < 0.12 else None
    discount = round(items_total * 0.1, 2) if coupon and coupon != "FREESHIP" else 0.0
    shipping = 0.0 if items_total >= 50 or coupon == "FREESHIP" else 4.99
    channel = rng.choices(("web", "mobile_app", "marketplace"), weights=(62, 30, 8))[0]
    updated = min(order.ordered_at + timedelta(hours=rng.randrange(1, 240)), REFERENCE_TIME)
    return (
        order.order_id,
        customer.customer_id if customer else order.orphan_customer_id,
        payment_method_id,
        address_id,
        campaign_id,
        status,
        channel,
        _currency(order),
        shipping,
        discount,
        coupon,
        fmt_ts(order.ordered_at),
        fmt_ts(updated),
    )


def _region(order: _Order) -> str:
    code = order.customer.country.code if order.customer else "US"
    return code if code in ("US", "GB") else "EU"


def _ship_times(rng: random.Random, order: _Order, status: str) -> tuple[datetime, datetime | None]:
    latest = REFERENCE_TIME - timedelta(minutes=5)
    shipped = min(order.ordered_at + timedelta(minutes=rng.randrange(180, 3_600)), latest)
    delivered = shipped + timedelta(minutes=rng.randrange(1_200, 9_000))
    if status.lower() == "shipped" or delivered >= REFERENCE_TIME:
        return shipped, None
    return shipped, delivered


def _shipment_row(
    rng: random.Random,
    order: _Order,
    shipment_id: int,
    shipped: datetime,
    delivered: datetime | None,
) -> Row:
    region = _region(order)
    carrier, prefix, digits = rng.choice(_CARRIERS[region])
    return (
        shipment_id,
        order.order_id,
        rng.choice(_WAREHOUSES[region]),
        carrier,
        rng.choices(("standard", "express"), weights=(80, 20))[0],
        prefix + "".join(rng.choices("0123456789", k=digits)),
        "delivered" if delivered else "in_transit",
        fmt_ts(shipped),
        fmt_ts(delivered) if delivered else None,
    )


def _return_rows(
    rng: random.Random, chosen: list[ItemRow], received: datetime, first_id: int
) -> list[Row]:
    reasons = [reason[0] for reason in _RETURN_REASONS]
    weights = [reason[1] for reason in _RETURN_REASONS]
    rows: list[Row] = []
    for return_id, (item_id, _, _, quantity, unit_price, _) in enumerate(chosen, start=first_id):
        returned = min(received + timedelta(hours=rng.randrange(24, 480)), REFERENCE_TIME)
        status = rng.choices(("refunded", "received", "rejected"), weights=(80, 12, 8))[0]
        refund = round(quantity * unit_price, 2) if status != "rejected" else 0.0
        reason = rng.choices(reasons, weights=weights)[0]
        rows.append((return_id, item_id, quantity, reason, status, refund, fmt_ts(returned)))
    return rows


def _plant_negative_quantities(
    rng: random.Random, items: list[ItemRow], returned: set[int], count: int
) -> None:
    """Defect: exactly ``count`` order items get a quantity below zero."""
    eligible = [index for index, row in enumerate(items) if row[0] not in returned]
    for index in rng.sample(eligible, count):
        item_id, order_id, product_id, quantity, unit_price, discount = items[index]
        items[index] = (item_id, order_id, product_id, -quantity, unit_price, discount)
