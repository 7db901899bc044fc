-- dialect: ansi
-- A staging table chains two statements and is dropped: it is neither source nor target.
CREATE TABLE stage_orders AS
SELECT o.id, o.customer_id, o.amount * o.fx_rate AS amount_eur
FROM orders o
WHERE o.status <> 'cancelled';

INSERT INTO daily_revenue (customer_id, revenue)
SELECT customer_id, SUM(amount_eur)
FROM stage_orders
GROUP BY customer_id;

DROP TABLE stage_orders;
