-- Read-only views for Grafana's PostgreSQL datasource, and the grafana_reader role that
-- may read them and nothing else.
--
-- Runs inside `execmetrics migrate` with search_path = <exporter schema>, <source schema>,
-- after the earlier files of sql/views/ (subscription_periods, valid_sessions,
-- daily_metrics). Every object here lives in the exporter schema and carries business
-- ids, categories, countries, amounts and timestamps only: no email, no name, and no
-- couple id next to a supplier id.
--
-- Views run with their owner's rights, so grafana_reader reads the source tables only
-- through them and holds no right on any source table or on the other exporter objects.
-- The two functions are SECURITY INVOKER (the default): they read only the
-- grafana_ views granted below, so calling them gives no extra right either.

-- Per supplier, the piecewise-constant supplier MRR m_x(t) (SPEC §3) as intervals
-- [valid_from, valid_until) between consecutive change points (a period going live or
-- ending); valid_until is NULL for the last, open interval. mrr is 0 on gaps between
-- periods; before the first interval the supplier's MRR is 0.
CREATE VIEW grafana_supplier_mrr_intervals AS
WITH live AS (
    SELECT p.supplier_id, p.live_from, p.live_until, p.mrr
    FROM subscription_periods AS p
    WHERE p.live_until IS NULL OR p.live_until > p.live_from
),
change_points AS (
    SELECT l.supplier_id, l.live_from AS at FROM live AS l
    UNION
    SELECT l.supplier_id, l.live_until FROM live AS l WHERE l.live_until IS NOT NULL
),
intervals AS (
    SELECT c.supplier_id,
           c.at AS valid_from,
           lead(c.at) OVER (PARTITION BY c.supplier_id ORDER BY c.at) AS valid_until
    FROM change_points AS c
)
SELECT i.supplier_id,
       coalesce(su.category, 'unknown') AS category,
       coalesce(su.country, 'unknown') AS country,
       i.valid_from,
       i.valid_until,
       coalesce(sum(l.mrr), 0) AS mrr
FROM intervals AS i
LEFT JOIN live AS l
       ON l.supplier_id = i.supplier_id
      AND l.live_from <= i.valid_from
      AND (l.live_until IS NULL OR l.live_until > i.valid_from)
LEFT JOIN suppliers AS su ON su.id = i.supplier_id
GROUP BY i.supplier_id, 2, 3, i.valid_from, i.valid_until;

-- MRR movements of each supplier over the window (window_from, window_to], with
-- S = m_x(window_from) and E = m_x(window_to), classified as SPEC §3 does for (M1, T]:
-- new, reactivation, expansion, contraction, churn. Suppliers whose MRR did not change
-- are left out. mrr_change = E - S (negative for contraction and churn), rounded to
-- minor units like mrr_start and mrr_end.
-- A function because the bounds are the dashboard's time range:
--   SELECT * FROM grafana_supplier_mrr_changes($__timeFrom(), $__timeTo())
-- search_path is fixed at creation (FROM CURRENT), so the body finds the view whatever
-- the caller's search_path.
DROP FUNCTION IF EXISTS grafana_supplier_mrr_changes(timestamptz, timestamptz);
CREATE FUNCTION grafana_supplier_mrr_changes(window_from timestamptz, window_to timestamptz)
RETURNS TABLE (
    supplier_id bigint,
    category    text,
    country     text,
    movement    text,
    mrr_start   numeric,
    mrr_end     numeric,
    mrr_change  numeric
)
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
WITH changes AS (
    SELECT i.supplier_id,
           i.category,
           i.country,
           coalesce(sum(i.mrr) FILTER (
               WHERE i.valid_from <= window_from
                 AND (i.valid_until IS NULL OR i.valid_until > window_from)
           ), 0) AS s,
           coalesce(sum(i.mrr) FILTER (
               WHERE i.valid_from <= window_to
                 AND (i.valid_until IS NULL OR i.valid_until > window_to)
           ), 0) AS e,
           coalesce(bool_or(i.mrr > 0 AND i.valid_from < window_from), false) AS paid_before
    FROM grafana_supplier_mrr_intervals AS i
    GROUP BY i.supplier_id, i.category, i.country
)
SELECT c.supplier_id,
       c.category,
       c.country,
       CASE
           WHEN c.s = 0 AND c.paid_before THEN 'reactivation'
           WHEN c.s = 0 THEN 'new'
           WHEN c.e = 0 THEN 'churn'
           WHEN c.e > c.s THEN 'expansion'
           ELSE 'contraction'
       END,
       round(c.s, 2),
       round(c.e, 2),
       round(c.e - c.s, 2)
FROM changes AS c
WHERE c.s <> c.e AND window_from < window_to
$$;

-- One row per invitation: the inviting supplier's id, category and country, the channel
-- ('unknown' when missing), when it was sent, and when it was accepted. accepted_at is
-- NULL when the invitation was not accepted or was "accepted" before it was sent (a
-- data-quality issue: counted as sent, not as accepted). The couple is left out.
CREATE VIEW grafana_invitations AS
SELECT i.id AS invitation_id,
       i.supplier_id,
       coalesce(su.category, 'unknown') AS category,
       coalesce(su.country, 'unknown') AS country,
       coalesce(i.channel, 'unknown') AS channel,
       i.sent_at,
       CASE WHEN i.accepted_at >= i.sent_at THEN i.accepted_at END AS accepted_at
FROM invitations AS i
LEFT JOIN suppliers AS su ON su.id = i.supplier_id;

-- Suppliers ranked by invitations accepted, then sent, over the window
-- (window_from, window_to] (SPEC §3 viral definitions with T = window_to): sent =
-- invitations sent in the window, accepted = those of them accepted at or before
-- window_to. At most max_rows rows.
DROP FUNCTION IF EXISTS grafana_top_inviters(timestamptz, timestamptz, integer);
CREATE FUNCTION grafana_top_inviters(
    window_from timestamptz,
    window_to timestamptz,
    max_rows integer DEFAULT 25
)
RETURNS TABLE (
    rank                 bigint,
    supplier_id          bigint,
    category             text,
    country              text,
    invitations_sent     bigint,
    invitations_accepted bigint,
    conversion_ratio     double precision
)
LANGUAGE sql
STABLE
SET search_path FROM CURRENT
AS $$
WITH per_supplier AS (
    SELECT i.supplier_id,
           i.category,
           i.country,
           count(*) AS sent,
           count(*) FILTER (WHERE i.accepted_at <= window_to) AS accepted
    FROM grafana_invitations AS i
    WHERE i.sent_at > window_from AND i.sent_at <= window_to
    GROUP BY i.supplier_id, i.category, i.country
)
SELECT row_number() OVER (ORDER BY p.accepted DESC, p.sent DESC, p.supplier_id),
       p.supplier_id,
       p.category,
       p.country,
       p.sent,
       p.accepted,
       p.accepted::double precision / p.sent
FROM per_supplier AS p
ORDER BY 1
LIMIT greatest(max_rows, 0)
$$;

-- Every sign-up, both sides: user_type ('supplier' or 'couple'), the internal id, the
-- supplier's category (NULL for couples), country ('unknown' when missing), when the
-- account was created and, if it was, deleted. Panels filter by created_at.
CREATE VIEW grafana_recent_signups AS
SELECT 'supplier'::text AS user_type,
       su.id AS user_id,
       coalesce(su.category, 'unknown') AS category,
       coalesce(su.country, 'unknown') AS country,
       su.created_at,
       su.deleted_at
FROM suppliers AS su
UNION ALL
SELECT 'couple'::text,
       co.id,
       NULL::text,
       coalesce(co.country, 'unknown'),
       co.created_at,
       co.deleted_at
FROM couples AS co;

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
    GRANT SELECT ON grafana_supplier_mrr_intervals,
                    grafana_invitations,
                    grafana_recent_signups,
                    daily_metrics
       TO grafana_reader;
    GRANT EXECUTE ON FUNCTION grafana_supplier_mrr_changes(timestamptz, timestamptz),
                              grafana_top_inviters(timestamptz, timestamptz, integer)
       TO grafana_reader;
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

REVOKE ALL ON FUNCTION grafana_supplier_mrr_changes(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION grafana_top_inviters(timestamptz, timestamptz, integer) FROM PUBLIC;
