-- dialect: sparksql
-- schema: {"dw.sessions": ["user_id", "session_id", "started_at", "duration"], "dw.first_sessions": ["user_id", "session_id", "started_at", "dt"]}
INSERT OVERWRITE TABLE dw.first_sessions PARTITION (dt = '2024-01-01')
SELECT user_id, session_id, started_at
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY started_at) AS rn
    FROM dw.sessions
) ranked
WHERE rn = 1;
