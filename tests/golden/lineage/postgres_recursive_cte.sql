-- dialect: postgres
-- schema: {"employees": ["id", "name", "manager_id"]}
INSERT INTO org_chart (id, name, depth)
WITH RECURSIVE chain AS (
    SELECT id, name, 0 AS depth FROM employees WHERE manager_id IS NULL
    UNION ALL
    SELECT e.id, e.name, c.depth + 1 FROM employees e JOIN chain c ON e.manager_id = c.id
)
SELECT id, name, depth FROM chain;
