"""Table definitions of the demo warehouse: the ``raw_`` layer of an e-commerce shop.

Each generator yields tuples in exactly the column order declared here. Foreign keys are
declared (discovery reads them) but not enforced while loading, so the planted orphan orders
survive.
"""

from __future__ import annotations

TABLES: dict[str, str] = {
    "raw_customers": """
CREATE TABLE raw_customers (
    customer_id      INTEGER PRIMARY KEY,
    username         TEXT NOT NULL,
    email            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    first_name       TEXT NOT NULL,
    last_name        TEXT NOT NULL,
    full_name        TEXT NOT NULL,
    gender           TEXT,
    date_of_birth    DATE,
    phone_number     TEXT,
    street_address   TEXT,
    postal_code      TEXT,
    city             TEXT,
    country          TEXT,
    country_code     TEXT NOT NULL,
    signup_ip        TEXT,
    signup_at        TIMESTAMP NOT NULL,
    last_login_at    TIMESTAMP,
    marketing_opt_in INTEGER NOT NULL,
    customer_status  TEXT NOT NULL
)""",
    "raw_customer_addresses": """
CREATE TABLE raw_customer_addresses (
    address_id     INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES raw_customers (customer_id),
    address_type   TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    street_address TEXT NOT NULL,
    postal_code    TEXT,
    city           TEXT NOT NULL,
    country_code   TEXT NOT NULL,
    is_default     INTEGER NOT NULL
)""",
    "raw_payment_methods": """
CREATE TABLE raw_payment_methods (
    payment_method_id INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES raw_customers (customer_id),
    method_type       TEXT NOT NULL,
    card_brand        TEXT,
    card_number       TEXT,
    card_last4        TEXT,
    card_expiry       TEXT,
    cardholder_name   TEXT,
    iban              TEXT,
    bic               TEXT,
    is_default        INTEGER NOT NULL,
    created_at        TIMESTAMP NOT NULL
)""",
    "raw_loyalty_members": """
CREATE TABLE raw_loyalty_members (
    member_id      INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES raw_customers (customer_id),
    email          TEXT NOT NULL,
    phone_number   TEXT,
    date_of_birth  DATE,
    loyalty_tier   TEXT NOT NULL,
    points_balance INTEGER NOT NULL,
    enrolled_at    TIMESTAMP NOT NULL
)""",
    "raw_suppliers": """
CREATE TABLE raw_suppliers (
    supplier_id        INTEGER PRIMARY KEY,
    company_name       TEXT NOT NULL,
    contact_name       TEXT NOT NULL,
    contact_email      TEXT NOT NULL,
    contact_phone      TEXT,
    country_code       TEXT NOT NULL,
    iban               TEXT,
    payment_terms_days INTEGER NOT NULL,
    created_at         TIMESTAMP NOT NULL
)""",
    "raw_categories": """
CREATE TABLE raw_categories (
    category_id        INTEGER PRIMARY KEY,
    parent_category_id INTEGER REFERENCES raw_categories (category_id),
    category_name      TEXT NOT NULL,
    slug               TEXT NOT NULL UNIQUE,
    is_active          INTEGER NOT NULL
)""",
    "raw_products": """
CREATE TABLE raw_products (
    product_id   INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    product_name TEXT NOT NULL,
    description  TEXT,
    category_id  INTEGER NOT NULL REFERENCES raw_categories (category_id),
    supplier_id  INTEGER NOT NULL REFERENCES raw_suppliers (supplier_id),
    unit_price   NUMERIC(10, 2) NOT NULL,
    unit_cost    NUMERIC(10, 2) NOT NULL,
    weight_grams INTEGER,
    color        TEXT,
    is_active    INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
)""",
    "raw_warehouses": """
CREATE TABLE raw_warehouses (
    warehouse_code TEXT PRIMARY KEY,
    warehouse_name TEXT NOT NULL,
    city           TEXT NOT NULL,
    country_code   TEXT NOT NULL,
    opened_on      DATE NOT NULL
)""",
    "raw_marketing_campaigns": """
CREATE TABLE raw_marketing_campaigns (
    campaign_id     INTEGER PRIMARY KEY,
    campaign_name   TEXT NOT NULL,
    channel         TEXT NOT NULL,
    utm_campaign    TEXT NOT NULL UNIQUE,
    target_segment  TEXT,
    start_date      DATE NOT NULL,
    end_date        DATE NOT NULL,
    budget_usd      NUMERIC(12, 2) NOT NULL
)""",
    "raw_orders": """
CREATE TABLE raw_orders (
    order_id            INTEGER PRIMARY KEY,
    customer_id         INTEGER NOT NULL REFERENCES raw_customers (customer_id),
    payment_method_id   INTEGER REFERENCES raw_payment_methods (payment_method_id),
    shipping_address_id INTEGER REFERENCES raw_customer_addresses (address_id),
    campaign_id         INTEGER REFERENCES raw_marketing_campaigns (campaign_id),
    order_status        TEXT NOT NULL,
    sales_channel       TEXT NOT NULL,
    currency            TEXT NOT NULL,
    shipping_amount     NUMERIC(10, 2) NOT NULL,
    discount_amount     NUMERIC(10, 2) NOT NULL,
    coupon_code         TEXT,
    ordered_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
)""",
    "raw_order_items": """
CREATE TABLE raw_order_items (
    order_item_id   INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES raw_orders (order_id),
    product_id      INTEGER NOT NULL REFERENCES raw_products (product_id),
    quantity        INTEGER NOT NULL,
    unit_price      NUMERIC(10, 2) NOT NULL,
    discount_amount NUMERIC(10, 2) NOT NULL
)""",
    "raw_shipments": """
CREATE TABLE raw_shipments (
    shipment_id     INTEGER PRIMARY KEY,
    order_id        INTEGER NOT NULL REFERENCES raw_orders (order_id),
    warehouse_code  TEXT NOT NULL REFERENCES raw_warehouses (warehouse_code),
    carrier         TEXT NOT NULL,
    service_level   TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    shipment_status TEXT NOT NULL,
    shipped_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
)""",
    "raw_returns": """
CREATE TABLE raw_returns (
    return_id     INTEGER PRIMARY KEY,
    order_item_id INTEGER NOT NULL REFERENCES raw_order_items (order_item_id),
    quantity      INTEGER NOT NULL,
    return_reason TEXT NOT NULL,
    return_status TEXT NOT NULL,
    refund_amount NUMERIC(10, 2) NOT NULL,
    returned_at   TIMESTAMP NOT NULL
)""",
    "raw_web_sessions": """
CREATE TABLE raw_web_sessions (
    session_id   TEXT PRIMARY KEY,
    customer_id  INTEGER REFERENCES raw_customers (customer_id),
    campaign_id  INTEGER REFERENCES raw_marketing_campaigns (campaign_id),
    device_type  TEXT NOT NULL,
    browser      TEXT NOT NULL,
    ip_address   TEXT NOT NULL,
    utm_source   TEXT,
    utm_medium   TEXT,
    landing_page TEXT NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    ended_at     TIMESTAMP NOT NULL
)""",
    "raw_web_events": """
CREATE TABLE raw_web_events (
    event_id   INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES raw_web_sessions (session_id),
    event_type TEXT NOT NULL,
    page_url   TEXT NOT NULL,
    product_id INTEGER REFERENCES raw_products (product_id),
    event_at   TIMESTAMP NOT NULL
)""",
    "raw_inventory_snapshots": """
CREATE TABLE raw_inventory_snapshots (
    snapshot_id       INTEGER PRIMARY KEY,
    product_id        INTEGER NOT NULL REFERENCES raw_products (product_id),
    warehouse_code    TEXT NOT NULL REFERENCES raw_warehouses (warehouse_code),
    snapshot_date     DATE NOT NULL,
    quantity_on_hand  INTEGER NOT NULL,
    quantity_reserved INTEGER NOT NULL,
    reorder_point     INTEGER NOT NULL
)""",
    "raw_exchange_rates": """
CREATE TABLE raw_exchange_rates (
    currency    TEXT NOT NULL,
    rate_date   DATE NOT NULL,
    rate_to_usd NUMERIC(12, 6) NOT NULL,
    rate_source TEXT NOT NULL,
    loaded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (currency, rate_date)
)""",
}

INDEXES: tuple[str, ...] = (
    "CREATE INDEX ix_raw_orders_customer ON raw_orders (customer_id)",
    "CREATE INDEX ix_raw_order_items_order ON raw_order_items (order_id)",
    "CREATE INDEX ix_raw_order_items_product ON raw_order_items (product_id)",
    "CREATE INDEX ix_raw_shipments_order ON raw_shipments (order_id)",
    "CREATE INDEX ix_raw_returns_item ON raw_returns (order_item_id)",
    "CREATE INDEX ix_raw_web_events_session ON raw_web_events (session_id)",
    "CREATE INDEX ix_raw_payment_methods_customer ON raw_payment_methods (customer_id)",
    "CREATE INDEX ix_raw_inventory_product ON raw_inventory_snapshots (product_id, snapshot_date)",
)
