-- dialect: snowflake
-- schema: {"sales.orders": ["order_id", "net", "tax"]}
CREATE OR REPLACE VIEW sales.order_totals AS
SELECT o.*, net + tax AS gross, gross * 0.1 AS commission
FROM sales.orders o;
