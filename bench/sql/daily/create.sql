-- The plain daily_metrics: a materialized view over user_sessions grouped by date, as
-- one would first write it, to compare its refresh with the exporter's.
CREATE MATERIALIZED VIEW IF NOT EXISTS bench.daily_metrics_naive AS
SELECT s.created_at::date AS day,
       count(DISTINCT s.supplier_id) AS active_suppliers,
       count(DISTINCT s.couple_id) AS active_couples,
       count(*) AS sessions,
       avg(s.session_duration) FILTER (WHERE s.session_duration > 0) AS average_session_duration
FROM user_sessions AS s
GROUP BY 1
