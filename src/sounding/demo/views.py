"""View definitions of the demo warehouse: the ``stg_`` and ``mart_`` layers.

``stg_`` views clean and enrich ``raw_`` tables; ``mart_`` views aggregate ``stg_`` views (and
each other), so lineage runs raw → stg → mart over several hops. Between them they use joins,
``GROUP BY``, CTEs, window functions and a ``UNION ALL``. :data:`VIEWS` is ordered so every view
is created after the views it reads; the ``mart_`` views live in :mod:`sounding.demo.marts`.
"""

from __future__ import annotations

from sounding.demo.marts import MART_VIEWS

STAGING_VIEWS: dict[str, str] = {
    "stg_customers": """
CREATE VIEW stg_customers AS
WITH ranked AS (
    SELECT
        c.customer_id,
        c.full_name,
        lower(trim(c.email)) AS email,
        c.phone_number,
        c.gender,
        c.date_of_birth,
        c.city,
        c.country_code,
        c.signup_at,
        c.marketing_opt_in,
        c.customer_status,
        ROW_NUMBER() OVER (
            PARTITION BY lower(trim(c.email)) ORDER BY c.signup_at, c.customer_id
        ) AS email_rank
    FROM raw_customers AS c
)
SELECT
    customer_id,
    full_name,
    email,
    phone_number,
    gender,
    date_of_birth,
    CAST((julianday('2026-01-01') - julianday(date_of_birth)) / 365.25 AS INTEGER) AS age_years,
    city,
    country_code,
    date(signup_at) AS signup_date,
    marketing_opt_in = 1 AS is_marketable,
    customer_status,
    email_rank > 1 AS is_duplicate_email
FROM ranked""",
    "stg_latest_exchange_rates": """
CREATE VIEW stg_latest_exchange_rates AS
SELECT currency, rate_date, rate_to_usd
FROM (
    SELECT
        r.currency,
        r.rate_date,
        r.rate_to_usd,
        ROW_NUMBER() OVER (PARTITION BY r.currency ORDER BY r.rate_date DESC) AS recency
    FROM raw_exchange_rates AS r
) AS ranked
WHERE recency = 1""",
    "stg_orders": """
CREATE VIEW stg_orders AS
SELECT
    o.order_id,
    o.customer_id,
    o.payment_method_id,
    o.campaign_id,
    lower(trim(o.order_status)) AS order_status,
    o.sales_channel,
    o.currency,
    COALESCE(fx.rate_to_usd, 1.0) AS rate_to_usd,
    o.shipping_amount,
    o.discount_amount,
    o.coupon_code IS NOT NULL AS used_coupon,
    o.ordered_at,
    date(o.ordered_at) AS order_date,
    strftime('%Y-%m', o.ordered_at) AS order_month,
    a.country_code AS ship_to_country
FROM raw_orders AS o
LEFT JOIN raw_customer_addresses AS a ON a.address_id = o.shipping_address_id
LEFT JOIN stg_latest_exchange_rates AS fx ON fx.currency = o.currency""",
    "stg_order_items": """
CREATE VIEW stg_order_items AS
SELECT
    i.order_item_id,
    i.order_id,
    i.product_id,
    i.quantity,
    i.unit_price,
    i.discount_amount,
    round(i.quantity * i.unit_price - i.discount_amount, 2) AS line_total,
    round(i.quantity * (i.unit_price - p.unit_cost) - i.discount_amount, 2) AS line_margin
FROM raw_order_items AS i
JOIN raw_products AS p ON p.product_id = i.product_id
WHERE i.quantity > 0""",
    "stg_products": """
CREATE VIEW stg_products AS
SELECT
    p.product_id,
    p.sku,
    p.product_name,
    c.category_name,
    COALESCE(d.category_name, c.category_name) AS department_name,
    s.company_name AS supplier_name,
    p.unit_price,
    p.unit_cost,
    round((p.unit_price - p.unit_cost) / p.unit_price, 4) AS margin_rate,
    p.is_active = 1 AS is_active
FROM raw_products AS p
JOIN raw_categories AS c ON c.category_id = p.category_id
LEFT JOIN raw_categories AS d ON d.category_id = c.parent_category_id
JOIN raw_suppliers AS s ON s.supplier_id = p.supplier_id""",
    "stg_payment_methods": """
CREATE VIEW stg_payment_methods AS
SELECT
    pm.payment_method_id,
    pm.customer_id,
    pm.method_type,
    pm.card_brand,
    CASE WHEN pm.card_last4 IS NOT NULL THEN '**** ' || pm.card_last4 END AS card_number_masked,
    CASE WHEN pm.iban IS NOT NULL THEN substr(pm.iban, 1, 4) || ' **** ' || substr(pm.iban, -4)
    END AS iban_masked,
    pm.is_default = 1 AS is_default,
    COALESCE(u.order_count, 0) AS order_count,
    u.last_used_at
FROM raw_payment_methods AS pm
LEFT JOIN (
    SELECT payment_method_id, COUNT(*) AS order_count, MAX(ordered_at) AS last_used_at
    FROM raw_orders
    GROUP BY payment_method_id
) AS u ON u.payment_method_id = pm.payment_method_id""",
    "stg_shipments": """
CREATE VIEW stg_shipments AS
SELECT
    s.shipment_id,
    s.order_id,
    o.customer_id,
    s.warehouse_code,
    w.country_code AS warehouse_country,
    s.carrier,
    s.service_level,
    lower(s.shipment_status) AS shipment_status,
    s.shipped_at,
    s.delivered_at,
    strftime('%Y-%m', s.shipped_at) AS ship_month,
    round(julianday(s.shipped_at) - julianday(o.ordered_at), 2) AS days_to_ship,
    round(julianday(s.delivered_at) - julianday(s.shipped_at), 2) AS days_in_transit
FROM raw_shipments AS s
JOIN raw_orders AS o ON o.order_id = s.order_id
JOIN raw_warehouses AS w ON w.warehouse_code = s.warehouse_code""",
    "stg_web_sessions": """
CREATE VIEW stg_web_sessions AS
SELECT
    s.session_id,
    s.customer_id,
    s.campaign_id,
    s.device_type,
    COALESCE(s.utm_source, 'direct') AS traffic_source,
    s.started_at,
    date(s.started_at) AS session_date,
    round((julianday(s.ended_at) - julianday(s.started_at)) * 86400) AS duration_seconds,
    COALESCE(e.page_views, 0) AS page_views,
    COALESCE(e.add_to_carts, 0) AS add_to_carts,
    COALESCE(e.purchases, 0) > 0 AS converted
FROM raw_web_sessions AS s
LEFT JOIN (
    SELECT
        session_id,
        SUM(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS page_views,
        SUM(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS add_to_carts,
        SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchases
    FROM raw_web_events
    GROUP BY session_id
) AS e ON e.session_id = s.session_id""",
}

VIEWS: dict[str, str] = {**STAGING_VIEWS, **MART_VIEWS}
