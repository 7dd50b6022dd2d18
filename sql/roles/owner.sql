-- The schema owner: the role `execmetrics migrate` runs as (docker-compose's `roles`
-- step runs this file on every `up`; elsewhere it is the DBA's one-off). Run it as a
-- superuser, in the exporter's database, with the owner's password in the environment:
--   EXECMETRICS_OWNER_PASSWORD=... psql -v ON_ERROR_STOP=1 -f owner.sql
--
-- execmetrics_owner is no superuser. It owns the database (so its public schema, where
-- the demo's source tables live, and the right to create the exporter's schema and to
-- run dedicated_database.sql), and may create and alter the other roles (CREATEROLE).
-- This file creates execmetrics_compute and grafana_reader too (NOLOGIN) when they do not
-- exist; on PostgreSQL 16 and later, where CREATEROLE alters only the roles one has the
-- ADMIN option on, it gives the owner that option (without their privileges), so migrate
-- can set their settings and the compose step their passwords whoever created them.
-- Objects created before by another role keep their owner: hand them over with
-- ALTER ... OWNER TO execmetrics_owner before migrating as this role.
\getenv owner_password EXECMETRICS_OWNER_PASSWORD
\if :{?owner_password}
\else
DO $$ BEGIN RAISE EXCEPTION 'EXECMETRICS_OWNER_PASSWORD is not set'; END $$;
\endif

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'execmetrics_owner') THEN
        CREATE ROLE execmetrics_owner;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
ALTER ROLE execmetrics_owner WITH LOGIN NOSUPERUSER CREATEROLE PASSWORD :'owner_password';
ALTER DATABASE :"DBNAME" OWNER TO execmetrics_owner;

DO $$
DECLARE
    managed text;
BEGIN
    FOREACH managed IN ARRAY ARRAY['execmetrics_compute', 'grafana_reader'] LOOP
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = managed) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', managed);
            END IF;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
        END;
        IF current_setting('server_version_num')::integer >= 160000 THEN
            EXECUTE format(
                'GRANT %I TO execmetrics_owner WITH ADMIN OPTION, INHERIT FALSE, SET FALSE',
                managed
            );
        END IF;
    END LOOP;
END
$$;
