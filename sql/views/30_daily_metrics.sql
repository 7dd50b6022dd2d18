-- Per local date in the reporting time zone: distinct active suppliers and couples,
-- sessions, and the average capped duration of sessions with a duration above zero.
-- History for dashboards and reports; refreshed CONCURRENTLY by the refresh job.
CREATE MATERIALIZED VIEW daily_metrics AS
SELECT (s.created_at AT TIME ZONE cfg.reporting_timezone)::date AS day,
       count(DISTINCT s.user_id) FILTER (WHERE s.user_type = 'supplier') AS active_suppliers,
       count(DISTINCT s.user_id) FILTER (WHERE s.user_type = 'couple') AS active_couples,
       count(*) AS sessions,
       (avg(least(s.session_duration, cfg.session_cap))
            FILTER (WHERE s.session_duration > 0))::double precision
           AS average_session_duration_seconds
FROM valid_sessions AS s
CROSS JOIN settings AS cfg
GROUP BY 1;

CREATE UNIQUE INDEX daily_metrics_day_key ON daily_metrics (day);
