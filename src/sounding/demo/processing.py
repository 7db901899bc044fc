"""Records of processing a data team keeps for some demo tables (purpose, retention, access).

Set as asset ``custom_properties`` when the demo assigns owners, so the compliance checks
have compliant tables next to the planted defects: ``raw_suppliers`` and ``raw_web_sessions``
hold personal data without a documented purpose or retention period, and
``raw_loyalty_members`` has neither an owner nor a record.
"""

from __future__ import annotations

from typing import Any

_CUSTOMERS = "Customer accounts, order fulfilment and support"
PROCESSING: dict[str, dict[str, str]] = {
    "raw_customers": {
        "purpose": _CUSTOMERS,
        "retention": "3 years after the last order",
        "access": "restricted",
    },
    "raw_customer_addresses": {
        "purpose": "Delivery of orders",
        "retention": "3 years after the last order",
    },
    "raw_payment_methods": {
        "purpose": "Payment processing and refunds",
        "retention": "Until the customer removes the method or the card expires",
        "access": "restricted",
    },
    "stg_payment_methods": {
        "purpose": "Payment analytics on masked card data",
        "retention": "Follows raw_payment_methods",
        "access": "restricted",
    },
    "stg_customers": {"purpose": _CUSTOMERS, "retention": "Follows raw_customers"},
    "mart_customer_lifetime_value": {
        "purpose": "Customer segmentation (legitimate interest)",
        "retention": "Rebuilt daily; follows raw_customers",
    },
}


def processing_properties(table: str) -> dict[str, Any]:
    """The ``custom_properties`` change for ``table``, or nothing when it has no record."""
    record = PROCESSING.get(table)
    return {"custom_properties": dict(record)} if record else {}
