"""The ``mart_`` views of the demo warehouse: aggregates over ``stg_`` views and each other.

Listed in creation order: a view comes after every view it reads.
"""

from __future__ import annotations

MART_VIEWS: dict[str, str] = {
    "mart_order_summary": """
CREATE VIEW mart_order_summary AS
SELECT
    o.order_id,
    o.customer_id,
    o.campaign_id,
    o.order_status,
    o.sales_channel,
    o.order_date,
    o.order_month,
    o.currency,
    COUNT(i.order_item_id) AS item_count,
    SUM(i.quantity) AS units,
    round(SUM(i.line_total) + o.shipping_amount - o.discount_amount, 2) AS order_total,
    round((SUM(i.line_total) + o.shipping_amount - o.discount_amount) * o.rate_to_usd, 2)
        AS order_total_usd,
    round(SUM(i.line_margin) * o.rate_to_usd, 2) AS gross_margin_usd
FROM stg_orders AS o
JOIN stg_order_items AS i ON i.order_id = o.order_id
GROUP BY
    o.order_id, o.customer_id, o.campaign_id, o.order_status, o.sales_channel, o.order_date,
    o.order_month, o.currency, o.shipping_amount, o.discount_amount, o.rate_to_usd""",
    "mart_daily_revenue": """
CREATE VIEW mart_daily_revenue AS
WITH daily AS (
    SELECT
        order_date,
        COUNT(*) AS orders,
        COUNT(DISTINCT customer_id) AS customers,
        SUM(units) AS units,
        SUM(order_total_usd) AS revenue_usd
    FROM mart_order_summary
    WHERE order_status <> 'cancelled'
    GROUP BY order_date
)
SELECT
    order_date,
    orders,
    customers,
    units,
    round(revenue_usd, 2) AS revenue_usd,
    round(revenue_usd / orders, 2) AS average_order_value_usd,
    round(AVG(revenue_usd) OVER (
        ORDER BY order_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW
    ), 2) AS revenue_7d_avg_usd,
    round(SUM(revenue_usd) OVER (
        ORDER BY order_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ), 2) AS cumulative_revenue_usd
FROM daily""",
    "mart_customer_lifetime_value": """
CREATE VIEW mart_customer_lifetime_value AS
WITH per_customer AS (
    SELECT
        customer_id,
        COUNT(*) AS order_count,
        SUM(order_total_usd) AS lifetime_revenue_usd,
        SUM(gross_margin_usd) AS lifetime_margin_usd,
        MIN(order_date) AS first_order_date,
        MAX(order_date) AS last_order_date
    FROM mart_order_summary
    WHERE order_status <> 'cancelled'
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    c.full_name,
    c.email,
    c.country_code,
    c.signup_date,
    pc.order_count,
    round(pc.lifetime_revenue_usd, 2) AS lifetime_revenue_usd,
    round(pc.lifetime_margin_usd, 2) AS lifetime_margin_usd,
    round(pc.lifetime_revenue_usd / pc.order_count, 2) AS average_order_value_usd,
    pc.first_order_date,
    pc.last_order_date,
    CAST(julianday('2026-01-01') - julianday(pc.last_order_date) AS INTEGER)
        AS days_since_last_order,
    NTILE(10) OVER (ORDER BY pc.lifetime_revenue_usd DESC) AS value_decile,
    RANK() OVER (PARTITION BY c.country_code ORDER BY pc.lifetime_revenue_usd DESC)
        AS rank_in_country
FROM stg_customers AS c
JOIN per_customer AS pc ON pc.customer_id = c.customer_id""",
    "mart_product_performance": """
CREATE VIEW mart_product_performance AS
WITH sales AS (
    SELECT
        i.product_id,
        COUNT(DISTINCT i.order_id) AS orders,
        SUM(i.quantity) AS units_sold,
        SUM(i.line_total * o.rate_to_usd) AS revenue_usd,
        SUM(i.line_margin * o.rate_to_usd) AS margin_usd
    FROM stg_order_items AS i
    JOIN stg_orders AS o ON o.order_id = i.order_id
    WHERE o.order_status <> 'cancelled'
    GROUP BY i.product_id
),
returned AS (
    SELECT oi.product_id, SUM(r.quantity) AS units_returned
    FROM raw_returns AS r
    JOIN raw_order_items AS oi ON oi.order_item_id = r.order_item_id
    GROUP BY oi.product_id
)
SELECT
    p.product_id,
    p.sku,
    p.product_name,
    p.category_name,
    p.department_name,
    p.supplier_name,
    COALESCE(s.orders, 0) AS orders,
    COALESCE(s.units_sold, 0) AS units_sold,
    round(COALESCE(s.revenue_usd, 0), 2) AS revenue_usd,
    round(COALESCE(s.margin_usd, 0), 2) AS margin_usd,
    COALESCE(r.units_returned, 0) AS units_returned,
    round(COALESCE(r.units_returned, 0) * 1.0 / NULLIF(s.units_sold, 0), 4) AS return_rate,
    DENSE_RANK() OVER (
        PARTITION BY p.department_name ORDER BY COALESCE(s.revenue_usd, 0) DESC
    ) AS rank_in_department
FROM stg_products AS p
LEFT JOIN sales AS s ON s.product_id = p.product_id
LEFT JOIN returned AS r ON r.product_id = p.product_id""",
    "mart_cohort_retention": """
CREATE VIEW mart_cohort_retention AS
WITH first_orders AS (
    SELECT customer_id, MIN(order_month) AS cohort_month
    FROM mart_order_summary
    WHERE order_status <> 'cancelled'
    GROUP BY customer_id
),
activity AS (
    SELECT DISTINCT
        s.customer_id,
        f.cohort_month,
        (CAST(substr(s.order_month, 1, 4) AS INTEGER) * 12
            + CAST(substr(s.order_month, 6, 2) AS INTEGER))
        - (CAST(substr(f.cohort_month, 1, 4) AS INTEGER) * 12
            + CAST(substr(f.cohort_month, 6, 2) AS INTEGER)) AS months_since_first_order
    FROM mart_order_summary AS s
    JOIN first_orders AS f ON f.customer_id = s.customer_id
    WHERE s.order_status <> 'cancelled'
),
cohort_sizes AS (
    SELECT cohort_month, COUNT(*) AS cohort_customers
    FROM first_orders
    GROUP BY cohort_month
)
SELECT
    a.cohort_month,
    a.months_since_first_order,
    z.cohort_customers,
    COUNT(*) AS active_customers,
    round(COUNT(*) * 1.0 / z.cohort_customers, 4) AS retention_rate
FROM activity AS a
JOIN cohort_sizes AS z ON z.cohort_month = a.cohort_month
GROUP BY a.cohort_month, a.months_since_first_order, z.cohort_customers""",
    "mart_customer_activity": """
CREATE VIEW mart_customer_activity AS
SELECT o.customer_id, 'order' AS activity_type, o.ordered_at AS activity_at,
    CAST(o.order_id AS TEXT) AS reference_id
FROM stg_orders AS o
UNION ALL
SELECT s.customer_id, 'web_session' AS activity_type, s.started_at AS activity_at,
    s.session_id AS reference_id
FROM stg_web_sessions AS s
WHERE s.customer_id IS NOT NULL
UNION ALL
SELECT o.customer_id, 'return' AS activity_type, r.returned_at AS activity_at,
    CAST(r.return_id AS TEXT) AS reference_id
FROM raw_returns AS r
JOIN raw_order_items AS i ON i.order_item_id = r.order_item_id
JOIN raw_orders AS o ON o.order_id = i.order_id
UNION ALL
SELECT m.customer_id, 'loyalty_enrolment' AS activity_type, m.enrolled_at AS activity_at,
    CAST(m.member_id AS TEXT) AS reference_id
FROM raw_loyalty_members AS m""",
    "mart_campaign_performance": """
CREATE VIEW mart_campaign_performance AS
WITH traffic AS (
    SELECT
        campaign_id,
        COUNT(*) AS sessions,
        COUNT(DISTINCT customer_id) AS known_visitors,
        SUM(CASE WHEN converted THEN 1 ELSE 0 END) AS converted_sessions
    FROM stg_web_sessions
    WHERE campaign_id IS NOT NULL
    GROUP BY campaign_id
),
attributed AS (
    SELECT campaign_id, COUNT(*) AS orders, SUM(order_total_usd) AS revenue_usd
    FROM mart_order_summary
    WHERE campaign_id IS NOT NULL AND order_status <> 'cancelled'
    GROUP BY campaign_id
)
SELECT
    c.campaign_id,
    c.campaign_name,
    c.channel,
    c.start_date,
    c.end_date,
    c.budget_usd,
    COALESCE(t.sessions, 0) AS sessions,
    COALESCE(t.known_visitors, 0) AS known_visitors,
    round(COALESCE(t.converted_sessions, 0) * 1.0 / NULLIF(t.sessions, 0), 4) AS conversion_rate,
    COALESCE(a.orders, 0) AS attributed_orders,
    round(COALESCE(a.revenue_usd, 0), 2) AS attributed_revenue_usd,
    round(COALESCE(a.revenue_usd, 0) / c.budget_usd, 2) AS return_on_ad_spend
FROM raw_marketing_campaigns AS c
LEFT JOIN traffic AS t ON t.campaign_id = c.campaign_id
LEFT JOIN attributed AS a ON a.campaign_id = c.campaign_id""",
    "mart_inventory_health": """
CREATE VIEW mart_inventory_health AS
WITH latest AS (
    SELECT
        product_id,
        snapshot_date,
        quantity_on_hand - quantity_reserved AS available_units,
        reorder_point,
        ROW_NUMBER() OVER (
            PARTITION BY product_id, warehouse_code ORDER BY snapshot_date DESC
        ) AS recency
    FROM raw_inventory_snapshots
),
stock AS (
    SELECT
        product_id,
        MAX(snapshot_date) AS as_of_date,
        SUM(available_units) AS available_units,
        SUM(reorder_point) AS reorder_point
    FROM latest
    WHERE recency = 1
    GROUP BY product_id
),
demand AS (
    SELECT i.product_id, SUM(i.quantity) / 90.0 AS daily_units
    FROM stg_order_items AS i
    JOIN stg_orders AS o ON o.order_id = i.order_id
    WHERE o.order_date >= '2025-10-03' AND o.order_status <> 'cancelled'
    GROUP BY i.product_id
)
SELECT
    p.product_id,
    p.sku,
    p.product_name,
    p.department_name,
    st.as_of_date,
    COALESCE(st.available_units, 0) AS available_units,
    round(COALESCE(d.daily_units, 0), 3) AS daily_units,
    round(st.available_units / NULLIF(d.daily_units, 0), 1) AS days_of_cover,
    CASE
        WHEN COALESCE(st.available_units, 0) <= 0 THEN 'out_of_stock'
        WHEN st.available_units < st.reorder_point THEN 'reorder'
        ELSE 'healthy'
    END AS stock_status
FROM stg_products AS p
LEFT JOIN stock AS st ON st.product_id = p.product_id
LEFT JOIN demand AS d ON d.product_id = p.product_id
WHERE p.is_active""",
    "mart_shipping_performance": """
CREATE VIEW mart_shipping_performance AS
SELECT
    s.carrier,
    s.service_level,
    s.ship_month,
    COUNT(*) AS shipments,
    SUM(CASE WHEN s.delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered,
    round(AVG(s.days_to_ship), 2) AS avg_days_to_ship,
    round(AVG(s.days_in_transit), 2) AS avg_days_in_transit,
    round(SUM(CASE WHEN s.days_in_transit > 5 THEN 1 ELSE 0 END) * 1.0 / COUNT(*), 4)
        AS late_rate
FROM stg_shipments AS s
GROUP BY s.carrier, s.service_level, s.ship_month""",
}
