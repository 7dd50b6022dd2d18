-- Per local date of created_at in the reporting time zone (future dates too): the
-- sessions that are data-quality issues (SPEC §3), for the quality checks
-- (sql/groups/quality/checks.sql). A day without such a session has no row.
--
-- session_quality_days is a table (sql/migrations/V020__daily_metrics_rollup.sql) kept
-- equal to session_quality_plain below by refresh_session_rollups
-- (sql/views/40_session_rollups.sql), which recomputes only the local days that may
-- have changed (session_quality_for).

-- The plain definition: what session_quality_days holds, computed over all history.
CREATE VIEW session_quality_plain AS
SELECT (s.created_at AT TIME ZONE cfg.reporting_timezone)::date AS day,
       count(*) FILTER (WHERE (s.supplier_id IS NULL) = (s.couple_id IS NULL))
           AS not_exactly_one,
       count(*) FILTER (WHERE s.session_duration <= 0) AS nonpositive_duration
FROM user_sessions AS s
CROSS JOIN settings AS cfg
GROUP BY 1
HAVING count(*) FILTER (WHERE (s.supplier_id IS NULL) = (s.couple_id IS NULL)) > 0
    OR count(*) FILTER (WHERE s.session_duration <= 0) > 0;

-- The rows of session_quality_plain for the given local days only, each day read
-- through the created_at index as daily_metrics_for does.
CREATE FUNCTION session_quality_for(days date[])
RETURNS SETOF session_quality_days
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
    SELECT d.day, q.not_exactly_one, q.nonpositive_duration
    FROM settings AS cfg
    CROSS JOIN unnest(days) AS d (day)
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE (s.supplier_id IS NULL) = (s.couple_id IS NULL))
                   AS not_exactly_one,
               count(*) FILTER (WHERE s.session_duration <= 0) AS nonpositive_duration
        FROM user_sessions AS s
        WHERE s.created_at >= (d.day::timestamp AT TIME ZONE cfg.reporting_timezone) - interval '1 day'
          AND s.created_at < ((d.day + 1)::timestamp AT TIME ZONE cfg.reporting_timezone) + interval '1 day'
          AND (s.created_at AT TIME ZONE cfg.reporting_timezone)::date = d.day
    ) AS q
    WHERE q.not_exactly_one > 0 OR q.nonpositive_duration > 0
$$;
