-- daily_metrics becomes a table kept up to date incrementally (refresh_session_rollups
-- in sql/views/40_session_rollups.sql) instead of a materialized view recomputed over all
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

-- Per local date of created_at (every date, later ones too): the sessions that are
-- data-quality issues (SPEC §3), so the quality checks need not count all history at
-- every cycle (sql/groups/quality/checks.sql adds the sessions the rollup has not seen).
CREATE TABLE session_quality_days (
    day                  date PRIMARY KEY,
    not_exactly_one      bigint NOT NULL,
    nonpositive_duration bigint NOT NULL
);

-- What the rollups have already read, per source table: the highest id seen (rows
-- above it are new; NULL: the table was empty), the table's storage when it was read
-- (TRUNCATE gives it new storage: the rollups then describe nothing), and when they
-- were last refreshed and last rebuilt in full.
CREATE TABLE rollup_state (
    source_table    text PRIMARY KEY,
    high_water_id   bigint,
    source_filenode oid,
    refreshed_at    timestamptz,
    full_rebuild_at timestamptz
);
