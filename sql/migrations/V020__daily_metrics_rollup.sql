-- daily_metrics becomes a table kept up to date incrementally (refresh_daily_metrics in
-- sql/views/30_daily_metrics.sql) instead of a materialized view recomputed over all
-- history at every refresh. Its columns and key are those of the view it replaces, so
-- its readers (Grafana's boards, grafana_reader, the reports) read it unchanged.
DROP MATERIALIZED VIEW IF EXISTS daily_metrics CASCADE;

CREATE TABLE daily_metrics (
    day                              date PRIMARY KEY,
    active_suppliers                 bigint NOT NULL,
    active_couples                   bigint NOT NULL,
    sessions                         bigint NOT NULL,
    average_session_duration_seconds double precision
);

-- What each rollup has already read, per source table: the highest id seen (rows
-- above it are new), and when the rollup was last refreshed and last rebuilt in full.
CREATE TABLE rollup_state (
    rollup          text PRIMARY KEY,
    high_water_id   bigint,
    refreshed_at    timestamptz,
    full_rebuild_at timestamptz
);
