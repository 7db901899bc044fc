-- dialect: postgres
UPDATE inventory AS i
SET quantity = i.quantity - d.shipped,
    last_shipment = d.shipped_at
FROM (
    SELECT sku, SUM(qty) AS shipped, MAX(shipped_at) AS shipped_at
    FROM shipments
    GROUP BY sku
) AS d
WHERE i.sku = d.sku;
