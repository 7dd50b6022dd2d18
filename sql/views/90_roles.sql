-- The exporter's database roles, and the two functions through which a read-only
-- computing role keeps the materialized views fresh.
--
-- Runs inside `execmetrics migrate` with search_path = <exporter schema>, <source
-- schema>, after the other files of sql/views/. Three roles:
--
-- * the owner: the role that runs `migrate` (execmetrics_owner in docker-compose). It
--   owns the exporter's schema and everything in it; nobody else changes the schema.
-- * execmetrics_compute (NOLOGIN here; the deployment grants LOGIN and a password):
--   what `serve` and `collect` run as. default_transaction_read_only is on, it may
--   SELECT the six source tables and the exporter's own objects, and it writes
--   nothing: it holds no INSERT, UPDATE, DELETE or DDL right anywhere. The refresh of
--   the materialized views, which PostgreSQL reserves to their owner, runs through
--   the two SECURITY DEFINER functions below, which do exactly that and no more.
-- * grafana_reader (sql/views/50_grafana_reader.sql): its own statement_timeout and
--   read-only default are set here.
--
-- A migrating role without CREATEROLE creates no role (a notice says so); grants on
-- the source tables need the right to grant them (the platform's DBA may have to).

-- Take the refresh lease when nobody claimed it within min_gap_seconds; true only for
-- the replica that got it. The lease runs on the database's clock (one clock for
-- every replica), not on the evaluation instant T: it schedules work, it computes no
-- metric. Concurrent claims serialise on the row lock, and the loser's WHERE is
-- re-checked against the winner's fresh claim.
CREATE OR REPLACE FUNCTION claim_refresh_lease(holder text, min_gap_seconds double precision)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
    INSERT INTO refresh_lease AS l (singleton, holder, claimed_at)
    VALUES (true, claim_refresh_lease.holder, clock_timestamp())
    ON CONFLICT (singleton) DO UPDATE
        SET holder = excluded.holder, claimed_at = excluded.claimed_at
        WHERE l.claimed_at <= clock_timestamp() - make_interval(secs => min_gap_seconds)
    RETURNING true
$$;

-- Bring the rollups up to date (refresh_session_rollups, sql/views/40_session_rollups.sql),
-- REFRESH MATERIALIZED VIEW CONCURRENTLY each materialized view of this schema, in
-- creation order, and record it against the lease; false (nothing refreshed) when
-- the caller does not hold the lease.
CREATE OR REPLACE FUNCTION refresh_materialized_views(holder text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    view_name name;
BEGIN
    IF NOT EXISTS (
        SELECT FROM refresh_lease AS l WHERE l.holder = refresh_materialized_views.holder
    ) THEN
        RETURN false;
    END IF;
    PERFORM refresh_session_rollups();
    FOR view_name IN
        SELECT c.relname
        FROM pg_class AS c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'm'
        ORDER BY c.oid
    LOOP
        EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %I.%I', current_schema(), view_name);
    END LOOP;
    UPDATE refresh_lease AS l
    SET refreshed_at = clock_timestamp(), refreshes = l.refreshes + 1
    WHERE l.holder = refresh_materialized_views.holder;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION claim_refresh_lease(text, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION refresh_materialized_views(text) FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'execmetrics_compute') THEN
        CREATE ROLE execmetrics_compute NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'role execmetrics_compute not created (no CREATEROLE)';
END
$$;

-- True when the role already has every one of these settings (as `name=value`) in
-- every database. The role settings are one row of the whole server: two migrates of
-- two databases that both rewrote it would race ("tuple concurrently updated"), so a
-- migrate rewrites it only when it differs.
CREATE OR REPLACE FUNCTION role_settings_hold(role_name name, settings text[])
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        (SELECT s.setconfig @> settings
         FROM pg_db_role_setting AS s
         JOIN pg_roles AS r ON r.oid = s.setrole
         WHERE r.rolname = role_name AND s.setdatabase = 0),
        false)
$$;

REVOKE ALL ON FUNCTION role_settings_hold(name, text[]) FROM PUBLIC;

DO $$
DECLARE
    source_schema text := (SELECT s.source_schema FROM settings AS s);
    source_table text;
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'execmetrics_compute') THEN
        BEGIN
            IF NOT role_settings_hold('execmetrics_compute', ARRAY['default_transaction_read_only=on']) THEN
                ALTER ROLE execmetrics_compute SET default_transaction_read_only = on;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'execmetrics_compute: default_transaction_read_only not set (no CREATEROLE)';
        END;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO execmetrics_compute', current_schema());
        EXECUTE format(
            'GRANT SELECT ON ALL TABLES IN SCHEMA %I TO execmetrics_compute', current_schema()
        );
        EXECUTE format(
            'REVOKE ALL ON TABLE %I.refresh_lease FROM execmetrics_compute', current_schema()
        );
        GRANT SELECT ON refresh_lease TO execmetrics_compute;
        GRANT EXECUTE ON FUNCTION claim_refresh_lease(text, double precision),
                                  refresh_materialized_views(text)
           TO execmetrics_compute;
        BEGIN
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO execmetrics_compute', source_schema);
            FOREACH source_table IN ARRAY ARRAY[
                'suppliers', 'couples', 'subscriptions', 'fx_rates', 'user_sessions',
                'invitations'
            ] LOOP
                EXECUTE format(
                    'GRANT SELECT ON %I.%I TO execmetrics_compute', source_schema, source_table
                );
            END LOOP;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'execmetrics_compute: no right to grant SELECT on the source tables';
        END;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        BEGIN
            IF NOT role_settings_hold('grafana_reader', ARRAY[
                'statement_timeout=30s', 'default_transaction_read_only=on',
                'idle_in_transaction_session_timeout=60s'
            ]) THEN
                ALTER ROLE grafana_reader SET statement_timeout = '30s';
                ALTER ROLE grafana_reader SET default_transaction_read_only = on;
                ALTER ROLE grafana_reader SET idle_in_transaction_session_timeout = '60s';
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'grafana_reader: timeouts not set (no CREATEROLE)';
        END;
    END IF;
END
$$;
