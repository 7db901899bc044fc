-- dialect: snowflake
-- schema: {"raw.payments": ["payment_id", "customer_id", "amount", "status", "paid_at"], "mart.customer_totals": ["customer_id", "total_paid", "last_paid_at"]}
MERGE INTO mart.customer_totals t
USING (
    SELECT customer_id, SUM(amount) AS total_paid, MAX(paid_at) AS last_paid_at
    FROM raw.payments
    WHERE status = 'settled'
    GROUP BY customer_id
) s
ON t.customer_id = s.customer_id
WHEN MATCHED THEN UPDATE SET t.total_paid = s.total_paid, t.last_paid_at = s.last_paid_at
WHEN NOT MATCHED THEN INSERT (customer_id, total_paid, last_paid_at)
    VALUES (s.customer_id, s.total_paid, s.last_paid_at);
