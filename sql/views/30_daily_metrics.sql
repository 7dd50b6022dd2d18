-- Per local date in the reporting time zone: distinct active suppliers and couples,
-- sessions, and the average capped duration of sessions with a duration above zero.
-- History for dashboards and reports, up to the local today (later days are left out).
--
-- daily_metrics is a table (sql/migrations/V020__daily_metrics_rollup.sql) kept equal
-- to daily_metrics_plain below, restricted to days up to the local today, by
-- refresh_daily_metrics: each refresh recomputes only
--   * the local days of the sessions whose id is above the high-water mark (the
--     highest id the previous refresh saw), and
--   * the last `sweep_days` local days up to today (late commits, edits and deletes
--     of recent sessions, and the day that just began),
-- and a full rebuild runs at every rebuild of the view layer (migrate) and whenever the
-- last one is older than `full_every` (edits and deletes of older sessions). See
-- docs/performance.md.

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

-- Bring daily_metrics up to date; in full when `full_rebuild` (or when the last full
-- rebuild is older than `full_every`), else only the days that may have changed.
-- Returns the number of days recomputed. Runs as the owner: the computing role calls
-- it through refresh_materialized_views (sql/views/90_roles.sql), under the lease.
CREATE FUNCTION refresh_daily_metrics(
    full_rebuild boolean DEFAULT false,
    sweep_days integer DEFAULT 3,
    full_every interval DEFAULT interval '1 day'
)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
SET jit = off
AS $$
DECLARE
    tz text := (SELECT cfg.reporting_timezone FROM settings AS cfg);
    today date := (clock_timestamp() AT TIME ZONE tz)::date;
    state rollup_state;
    top bigint := (SELECT max(s.id) FROM user_sessions AS s);
    days date[];
BEGIN
    -- one refresher at a time (the lease already ensures it; a direct call waits here)
    INSERT INTO rollup_state (rollup) VALUES ('daily_metrics') ON CONFLICT DO NOTHING;
    SELECT * INTO state FROM rollup_state AS r WHERE r.rollup = 'daily_metrics' FOR UPDATE;
    IF full_rebuild OR state.high_water_id IS NULL OR state.full_rebuild_at IS NULL
       OR state.full_rebuild_at <= clock_timestamp() - full_every THEN
        DELETE FROM daily_metrics;
        INSERT INTO daily_metrics
        SELECT p.* FROM daily_metrics_plain AS p WHERE p.day <= today;
        UPDATE rollup_state AS r
        SET high_water_id = coalesce(top, 0), refreshed_at = clock_timestamp(),
            full_rebuild_at = clock_timestamp()
        WHERE r.rollup = 'daily_metrics';
        RETURN (SELECT count(*) FROM daily_metrics);
    END IF;
    SELECT array_agg(DISTINCT x.day) INTO days
    FROM (
        SELECT (s.created_at AT TIME ZONE tz)::date AS day
        FROM user_sessions AS s
        WHERE s.id > state.high_water_id
        UNION ALL
        SELECT g::date FROM generate_series(today - sweep_days + 1, today, interval '1 day') AS g
    ) AS x
    WHERE x.day <= today;
    DELETE FROM daily_metrics AS m WHERE m.day = ANY (days) OR m.day > today;
    INSERT INTO daily_metrics SELECT * FROM daily_metrics_for(days);
    UPDATE rollup_state AS r
    SET high_water_id = greatest(coalesce(top, 0), r.high_water_id),
        refreshed_at = clock_timestamp()
    WHERE r.rollup = 'daily_metrics';
    RETURN cardinality(days);
END
$$;

REVOKE ALL ON FUNCTION refresh_daily_metrics(boolean, integer, interval) FROM PUBLIC;

-- The view layer was just (re)built, perhaps for another time zone or session cap.
SELECT refresh_daily_metrics(true);
