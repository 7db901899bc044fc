-- dialect: bigquery
-- The second statement does not parse; the others still give their lineage.
CREATE TABLE `proj.ds.events_clean` AS
SELECT event_id, user_id, TIMESTAMP_MILLIS(ts) AS event_time FROM `proj.ds.events_raw`;

SELEC user_id FROM `proj.ds.events_clean`;

INSERT INTO `proj.ds.user_counts` (user_id, events)
SELECT user_id, COUNT(*) FROM `proj.ds.events_clean` GROUP BY user_id;
