-- Per local date in the reporting time zone: distinct active suppliers and couples,
-- sessions, and the average capped duration of sessions with a duration above zero.
-- History for dashboards and reports, up to the local today (later days are left out).
--
-- daily_metrics is a table (sql/migrations/V020__daily_metrics_rollup.sql) kept equal
-- to daily_metrics_plain below, restricted to days up to the local today, by
-- refresh_session_rollups (sql/views/40_session_rollups.sql), which recomputes only the
-- local days that may have changed (daily_metrics_for).

-- The plain definition: what daily_metrics holds, computed over all history.
CREATE VIEW daily_metrics_plain AS
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

-- The rows of daily_metrics_plain for the given local days only, each day read through
-- the created_at index over its local day (widened by a day on each side, which covers
-- any UTC offset change, then cut to the exact local date).
CREATE FUNCTION daily_metrics_for(days date[])
RETURNS SETOF daily_metrics
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
    SELECT d.day, m.active_suppliers, m.active_couples, m.sessions,
           m.average_session_duration_seconds
    FROM settings AS cfg
    CROSS JOIN unnest(days) AS d (day)
    CROSS JOIN LATERAL (
        SELECT count(DISTINCT s.user_id) FILTER (WHERE s.user_type = 'supplier')
                   AS active_suppliers,
               count(DISTINCT s.user_id) FILTER (WHERE s.user_type = 'couple')
                   AS active_couples,
               count(*) AS sessions,
               (avg(least(s.session_duration, cfg.session_cap))
                    FILTER (WHERE s.session_duration > 0))::double precision
                   AS average_session_duration_seconds
        FROM valid_sessions AS s
        WHERE s.created_at >= (d.day::timestamp AT TIME ZONE cfg.reporting_timezone) - interval '1 day'
          AND s.created_at < ((d.day + 1)::timestamp AT TIME ZONE cfg.reporting_timezone) + interval '1 day'
          AND (s.created_at AT TIME ZONE cfg.reporting_timezone)::date = d.day
    ) AS m
    WHERE m.sessions > 0
$$;
