-- The grafana_reader role, Grafana's PostgreSQL datasource, and the aggregates it reads.
--
-- Runs inside `execmetrics migrate` with search_path = <exporter schema>, <source schema>,
-- after the earlier files of sql/views/. grafana_reader reads aggregates only: the
-- daily_metrics materialized view and the grafana_ functions below (sums and counts per
-- category over the dashboard's time range). Row-level tables go through the records_
-- functions of 60_grafana_records.sql, which return business ids only and at most
-- max_rows rows. The role holds no right on a source table, on a per-user view
-- (subscription_periods, valid_sessions) or on the other exporter objects.
--
-- The functions are SECURITY DEFINER with a pinned search_path and executable by
-- grafana_reader alone: 60_grafana_records.sql sets that up for every reader function.
-- A function because the bounds are the dashboard's time range, which a view cannot take:
--   SELECT * FROM grafana_mrr_changes_by_category($__timeFrom(), $__timeTo())

-- Per supplier category ('unknown' when missing or blank): the MRR gained (new,
-- reactivation, expansion), lost (contraction, churn: negative) and the net change
-- between window_from and window_to, with S = m_x(window_from), E = m_x(window_to)
-- classified as SPEC §3 does for (M1, T]. Rounded to minor units. No row when
-- window_from >= window_to.
CREATE FUNCTION grafana_mrr_changes_by_category(window_from timestamptz, window_to timestamptz)
RETURNS TABLE (category text, mrr_gained numeric, mrr_lost numeric, mrr_change numeric)
LANGUAGE sql
STABLE
AS $$
SELECT label_value(su.category),
       round(coalesce(sum(m.mrr_at_t - m.mrr_at_m1) FILTER (WHERE m.mrr_at_t > m.mrr_at_m1), 0), 2),
       round(coalesce(sum(m.mrr_at_t - m.mrr_at_m1) FILTER (WHERE m.mrr_at_t < m.mrr_at_m1), 0), 2),
       round(sum(m.mrr_at_t - m.mrr_at_m1), 2)
FROM supplier_mrr(window_to, window_from) AS m
LEFT JOIN suppliers AS su ON su.id = m.supplier_id
WHERE m.mrr_at_t <> m.mrr_at_m1 AND window_from < window_to
GROUP BY 1
$$;

-- Sign-ups in (window_from, window_to] per side and supplier category (NULL for
-- couples; 'unknown' when missing or blank), and how many of those accounts still
-- exist at window_to.
CREATE FUNCTION grafana_signups_by_category(window_from timestamptz, window_to timestamptz)
RETURNS TABLE (user_type text, category text, signups bigint, registered bigint)
LANGUAGE sql
STABLE
AS $$
WITH signups AS (
    SELECT 'supplier'::text AS user_type, label_value(su.category) AS category,
           su.created_at, su.deleted_at
    FROM suppliers AS su
    UNION ALL
    SELECT 'couple', NULL, co.created_at, co.deleted_at
    FROM couples AS co
)
SELECT s.user_type,
       s.category,
       count(*),
       count(*) FILTER (WHERE exists_at(s.created_at, s.deleted_at, window_to))
FROM signups AS s
WHERE s.created_at > window_from AND s.created_at <= window_to
GROUP BY 1, 2
$$;

-- The role Grafana's PostgreSQL datasource logs in as (the deployment grants LOGIN and
-- sets its password). NOLOGIN here: the migration never handles a password. An
-- exporter role without CREATEROLE cannot create it: migrate then goes on without the
-- grants (a notice says so) and an administrator creates the role and migrates again.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        CREATE ROLE grafana_reader NOLOGIN;
    END IF;
EXCEPTION
    -- another database on the same server created it concurrently
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'role grafana_reader not created (no CREATEROLE): Grafana''s tables stay unreadable until it exists';
END
$$;

-- The exporter schema is the first schema of the search_path.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO grafana_reader', current_schema());
    GRANT SELECT ON daily_metrics TO grafana_reader;
    -- The boards' SQL names these objects unqualified: a login of grafana_reader in this
    -- database finds them in the exporter schema. Setting another role's defaults needs
    -- CREATEROLE; without it an administrator runs this statement.
    BEGIN
        EXECUTE format('ALTER ROLE grafana_reader IN DATABASE %I SET search_path = %I',
                       current_database(), current_schema());
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'search_path of grafana_reader not set (no CREATEROLE): run ALTER ROLE grafana_reader IN DATABASE % SET search_path = %',
            quote_ident(current_database()), quote_ident(current_schema());
    END;
END
$$;
