-- The two rollups of user_sessions per local day, daily_metrics and
-- session_quality_days, brought up to date together. Each refresh recomputes only
--   * the local days of the sessions whose id is above the high-water mark (the
--     highest id the previous refresh saw: new sessions, whatever their date),
--   * the last `sweep_days` local days up to today (sessions committed late with a
--     lower id, edits and deletes of recent sessions, the day that just began), and
--   * the days after today that hold sessions (sessions dated in the future);
-- daily_metrics keeps only the days up to the local today. A full rebuild runs at every
-- `execmetrics migrate`, whenever the last one is older than `full_every` (it catches
-- edits and deletes of older sessions), and when the table was emptied, truncated or
-- lost its highest ids (docs/performance.md).
--
-- Runs as the owner: the computing role calls it through refresh_materialized_views
-- (sql/views/90_roles.sql), under the refresh lease. Returns the days recomputed.
-- The storage that the rollups describe: user_sessions' file node, which TRUNCATE and
-- table rewrites replace. A partitioned user_sessions has no storage of its own: then
-- the file node of its first leaf partition (lowest oid), which a TRUNCATE of the
-- parent replaces too, and which changes when that partition is detached or dropped.
-- NULL only when the table has no storage at all (a partitioned table without
-- partitions).
CREATE FUNCTION session_storage()
RETURNS oid
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
    SELECT coalesce(
        pg_relation_filenode('user_sessions'),
        (SELECT pg_relation_filenode(t.relid)
         FROM pg_partition_tree('user_sessions') AS t
         WHERE t.isleaf
         ORDER BY t.relid::oid
         LIMIT 1)
    )
$$;

CREATE FUNCTION refresh_session_rollups(
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
    top bigint := (SELECT max(s.id) FROM user_sessions AS s);
    filenode oid := session_storage();
    state rollup_state;
    days date[];
BEGIN
    -- one refresher at a time (the lease already ensures it; a direct call waits here)
    INSERT INTO rollup_state (source_table) VALUES ('user_sessions') ON CONFLICT DO NOTHING;
    SELECT * INTO state FROM rollup_state AS r WHERE r.source_table = 'user_sessions' FOR UPDATE;
    IF full_rebuild OR state.high_water_id IS NULL OR state.full_rebuild_at IS NULL
       OR state.full_rebuild_at <= clock_timestamp() - full_every
       OR state.source_filenode IS DISTINCT FROM filenode
       OR top IS NULL OR top < state.high_water_id THEN
        DELETE FROM daily_metrics;
        INSERT INTO daily_metrics
        SELECT p.* FROM daily_metrics_plain AS p WHERE p.day <= today;
        DELETE FROM session_quality_days;
        INSERT INTO session_quality_days SELECT q.* FROM session_quality_plain AS q;
        UPDATE rollup_state AS r
        SET high_water_id = top, source_filenode = filenode,
            refreshed_at = clock_timestamp(), full_rebuild_at = clock_timestamp()
        WHERE r.source_table = 'user_sessions';
        RETURN (SELECT count(DISTINCT x.day) FROM (
            SELECT m.day FROM daily_metrics AS m
            UNION ALL SELECT q.day FROM session_quality_days AS q
        ) AS x);
    END IF;
    SELECT array_agg(DISTINCT x.day) INTO days
    FROM (
        SELECT (s.created_at AT TIME ZONE tz)::date AS day
        FROM user_sessions AS s
        WHERE s.id > state.high_water_id
        UNION ALL
        SELECT g::date FROM generate_series(today - sweep_days + 1, today, interval '1 day') AS g
        UNION ALL
        SELECT (s.created_at AT TIME ZONE tz)::date
        FROM user_sessions AS s
        WHERE s.created_at >= ((today + 1)::timestamp AT TIME ZONE tz) - interval '1 day'
    ) AS x;
    DELETE FROM session_quality_days AS q WHERE q.day = ANY (days);
    INSERT INTO session_quality_days SELECT * FROM session_quality_for(days);
    DELETE FROM daily_metrics AS m WHERE m.day = ANY (days) OR m.day > today;
    INSERT INTO daily_metrics
    SELECT * FROM daily_metrics_for(ARRAY(SELECT d FROM unnest(days) AS d WHERE d <= today));
    UPDATE rollup_state AS r
    SET high_water_id = top, refreshed_at = clock_timestamp()
    WHERE r.source_table = 'user_sessions';
    RETURN coalesce(cardinality(days), 0);
END
$$;

REVOKE ALL ON FUNCTION refresh_session_rollups(boolean, integer, interval) FROM PUBLIC;
