-- The records behind the overview's cards, for Grafana's PostgreSQL datasource: one
-- read-only function per card, taking the board's instant (`$__timeTo()`) and a row
-- limit (default 1000, at most 10000), e.g.
--   SELECT * FROM records_paying_suppliers($__timeTo())
-- Each returns ids, categories, countries, plans, channels, months, amounts and
-- instants only: never a name, an e-mail or free text. Its rows make the card's number
-- at the same instant (tests/test_grafana_records.py checks it): the exporter's
-- definitions of SPEC §3 and §6, read from subscription_periods and valid_sessions.
--
-- The functions are SECURITY DEFINER with a fixed search_path (the exporter and source
-- schemas, then pg_temp), so grafana_reader gets these rows without any right on the
-- source tables or the other exporter objects. Only grafana_reader may execute them.
-- Windows that come from the config (the viral window, the at-risk quiet period) are
-- parameters with the config's defaults; a board whose config differs passes its own.

-- Suppliers paying at T: m_x(T) > 0. Row count = execmetrics_paying_suppliers.
DROP FUNCTION IF EXISTS records_paying_suppliers(timestamptz, integer);
CREATE FUNCTION records_paying_suppliers(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    supplier_id bigint,
    category    text,
    country     text,
    plan        text,
    mrr         numeric
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
WITH live AS (
    SELECT p.supplier_id, coalesce(nullif(btrim(p.plan), ''), 'unknown') AS plan, p.mrr
    FROM subscription_periods AS p
    WHERE p.live_from <= at AND (p.live_until IS NULL OR at < p.live_until)
),
paying AS (
    SELECT l.supplier_id, sum(l.mrr) AS mrr, string_agg(DISTINCT l.plan, ', ' ORDER BY l.plan) AS plans
    FROM live AS l
    GROUP BY l.supplier_id
    HAVING sum(l.mrr) > 0
)
SELECT p.supplier_id,
       coalesce(nullif(btrim(su.category), ''), 'unknown'),
       coalesce(nullif(btrim(su.country), ''), 'unknown'),
       p.plans,
       p.mrr
FROM paying AS p
LEFT JOIN suppliers AS su ON su.id = p.supplier_id
ORDER BY p.mrr DESC, p.supplier_id
LIMIT least(greatest(max_rows, 0), 10000)
$$;

-- Suppliers behind each MRR movement over (M1, T] (SPEC §3), M1 = T minus one calendar
-- month in the reporting time zone. mrr_change = E - S: its sum per movement is the
-- movement's amount (negative for contraction and churn). plan: the plans live at T, or
-- at M1 for a churned supplier.
DROP FUNCTION IF EXISTS records_mrr_movements(timestamptz, integer);
CREATE FUNCTION records_mrr_movements(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    supplier_id bigint,
    category    text,
    country     text,
    plan        text,
    movement    text,
    mrr_start   numeric,
    mrr_end     numeric,
    mrr_change  numeric
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
WITH bounds AS (
    SELECT ((at AT TIME ZONE cfg.reporting_timezone) - interval '1 month')
               AT TIME ZONE cfg.reporting_timezone AS m1
    FROM settings AS cfg
),
rows AS (
    SELECT p.supplier_id,
           coalesce(nullif(btrim(p.plan), ''), 'unknown') AS plan,
           p.mrr,
           p.live_from <= at AND (p.live_until IS NULL OR at < p.live_until) AS live_t,
           p.live_from <= b.m1 AND (p.live_until IS NULL OR b.m1 < p.live_until) AS live_m1,
           p.mrr > 0 AND p.live_from < b.m1
               AND (p.live_until IS NULL OR p.live_from < p.live_until) AS paid_before
    FROM subscription_periods AS p
    CROSS JOIN bounds AS b
),
per_supplier AS (
    SELECT r.supplier_id,
           coalesce(sum(r.mrr) FILTER (WHERE r.live_m1), 0) AS s,
           coalesce(sum(r.mrr) FILTER (WHERE r.live_t), 0) AS e,
           bool_or(r.paid_before) AS paid_before,
           string_agg(DISTINCT r.plan, ', ' ORDER BY r.plan) FILTER (WHERE r.live_t) AS plans_t,
           string_agg(DISTINCT r.plan, ', ' ORDER BY r.plan) FILTER (WHERE r.live_m1) AS plans_m1
    FROM rows AS r
    GROUP BY r.supplier_id
)
SELECT ps.supplier_id,
       coalesce(nullif(btrim(su.category), ''), 'unknown'),
       coalesce(nullif(btrim(su.country), ''), 'unknown'),
       CASE WHEN ps.e > 0 THEN ps.plans_t ELSE ps.plans_m1 END,
       CASE
           WHEN ps.s = 0 AND ps.paid_before THEN 'reactivation'
           WHEN ps.s = 0 THEN 'new'
           WHEN ps.e = 0 THEN 'churn'
           WHEN ps.e > ps.s THEN 'expansion'
           ELSE 'contraction'
       END,
       ps.s,
       ps.e,
       ps.e - ps.s
FROM per_supplier AS ps
LEFT JOIN suppliers AS su ON su.id = ps.supplier_id
WHERE ps.s <> ps.e
ORDER BY 5, abs(ps.e - ps.s) DESC, ps.supplier_id
LIMIT least(greatest(max_rows, 0), 10000)
$$;

-- Suppliers paying at T with no valid session and no invitation sent in (T - quiet, T]
-- (SPEC §6). Row count = the suppliers at risk; Σ mrr = execmetrics_mrr_at_risk.
DROP FUNCTION IF EXISTS records_at_risk(timestamptz, interval, integer);
CREATE FUNCTION records_at_risk(
    at timestamptz,
    quiet interval DEFAULT interval '14 days',
    max_rows integer DEFAULT 1000
)
RETURNS TABLE (
    supplier_id bigint,
    category    text,
    country     text,
    plan        text,
    mrr         numeric
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
WITH live AS (
    SELECT p.supplier_id, coalesce(nullif(btrim(p.plan), ''), 'unknown') AS plan, p.mrr
    FROM subscription_periods AS p
    WHERE p.live_from <= at AND (p.live_until IS NULL OR at < p.live_until)
),
paying AS (
    SELECT l.supplier_id, sum(l.mrr) AS mrr, string_agg(DISTINCT l.plan, ', ' ORDER BY l.plan) AS plans
    FROM live AS l
    GROUP BY l.supplier_id
    HAVING sum(l.mrr) > 0
),
heard_from AS (
    SELECT s.user_id AS supplier_id
    FROM valid_sessions AS s
    WHERE s.user_type = 'supplier' AND s.created_at > at - quiet AND s.created_at <= at
    UNION
    SELECT i.supplier_id
    FROM invitations AS i
    WHERE i.sent_at > at - quiet AND i.sent_at <= at
)
SELECT p.supplier_id,
       coalesce(nullif(btrim(su.category), ''), 'unknown'),
       coalesce(nullif(btrim(su.country), ''), 'unknown'),
       p.plans,
       p.mrr
FROM paying AS p
LEFT JOIN suppliers AS su ON su.id = p.supplier_id
WHERE NOT EXISTS (SELECT FROM heard_from AS h WHERE h.supplier_id = p.supplier_id)
ORDER BY p.mrr DESC, p.supplier_id
LIMIT least(greatest(max_rows, 0), 10000)
$$;

-- The invitations K counts as accepted (SPEC §3): sent in (T - window, T], accepted at
-- or before T and not before sent. Row count = execmetrics_invitations_accepted. The
-- couple is left out; lag_seconds = accepted_at - sent_at.
DROP FUNCTION IF EXISTS records_k_invitations(timestamptz, interval, integer);
CREATE FUNCTION records_k_invitations(
    at timestamptz,
    viral_window interval DEFAULT interval '30 days',
    max_rows integer DEFAULT 1000
)
RETURNS TABLE (
    invitation_id bigint,
    channel       text,
    supplier_id   bigint,
    lag_seconds   double precision
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
SELECT i.id,
       coalesce(nullif(btrim(i.channel), ''), 'unknown'),
       i.supplier_id,
       extract(epoch FROM i.accepted_at - i.sent_at)::double precision
FROM invitations AS i
WHERE i.sent_at > at - viral_window AND i.sent_at <= at
  AND i.accepted_at <= at AND i.accepted_at >= i.sent_at
ORDER BY i.accepted_at DESC, i.id
LIMIT least(greatest(max_rows, 0), 10000)
$$;

-- Members of the supplier cohorts (SPEC §6): suppliers whose first paying instant f_x
-- falls in one of the 12 local months before T's; mrr_first = m_x(f_x), mrr_now = m_x(T).
-- Per cohort: share with mrr_now > 0 = execmetrics_cohort_logo_retention_ratio,
-- Σ mrr_now / Σ mrr_first = execmetrics_cohort_mrr_retention_ratio.
DROP FUNCTION IF EXISTS records_revenue_cohorts(timestamptz, integer);
CREATE FUNCTION records_revenue_cohorts(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    cohort        text,
    supplier_id   bigint,
    category      text,
    country       text,
    first_paid_at timestamptz,
    mrr_first     numeric,
    mrr_now       numeric
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
WITH cohorts AS (
    SELECT to_char(m, 'YYYY-MM') AS label,
           m AT TIME ZONE cfg.reporting_timezone AS starts,
           (m + interval '1 month') AT TIME ZONE cfg.reporting_timezone AS ends
    FROM settings AS cfg
    CROSS JOIN LATERAL generate_series(
        date_trunc('month', at AT TIME ZONE cfg.reporting_timezone) - interval '12 months',
        date_trunc('month', at AT TIME ZONE cfg.reporting_timezone) - interval '1 month',
        interval '1 month'
    ) AS m
),
first_paid AS (
    SELECT p.supplier_id, min(p.live_from) AS f
    FROM subscription_periods AS p
    WHERE p.mrr > 0 AND (p.live_until IS NULL OR p.live_from < p.live_until)
    GROUP BY p.supplier_id
),
members AS (
    SELECT c.label, fp.supplier_id, fp.f
    FROM cohorts AS c
    JOIN first_paid AS fp ON fp.f >= c.starts AND fp.f < c.ends
),
per_member AS (
    SELECT m.label, m.supplier_id, m.f,
           coalesce(sum(p.mrr) FILTER (
               WHERE p.live_from <= m.f AND (p.live_until IS NULL OR m.f < p.live_until)
           ), 0) AS mrr_first,
           coalesce(sum(p.mrr) FILTER (
               WHERE p.live_from <= at AND (p.live_until IS NULL OR at < p.live_until)
           ), 0) AS mrr_now
    FROM members AS m
    JOIN subscription_periods AS p ON p.supplier_id = m.supplier_id
    GROUP BY m.label, m.supplier_id, m.f
)
SELECT pm.label,
       pm.supplier_id,
       coalesce(nullif(btrim(su.category), ''), 'unknown'),
       coalesce(nullif(btrim(su.country), ''), 'unknown'),
       pm.f,
       pm.mrr_first,
       pm.mrr_now
FROM per_member AS pm
LEFT JOIN suppliers AS su ON su.id = pm.supplier_id
ORDER BY pm.label, pm.supplier_id
LIMIT least(greatest(max_rows, 0), 10000)
$$;

-- Members of the activity cohorts (SPEC §6), both sides: users created in one of the 12
-- local months before T's and registered at T; active = a valid session in
-- (T - 30 days, T]. Per user type and cohort: the share active =
-- execmetrics_cohort_active_ratio. user_id is the supplier's or the couple's id.
DROP FUNCTION IF EXISTS records_activity_cohorts(timestamptz, integer);
CREATE FUNCTION records_activity_cohorts(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    user_type text,
    cohort    text,
    user_id   bigint,
    active    boolean
)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
WITH cohorts AS (
    SELECT to_char(m, 'YYYY-MM') AS label,
           m AT TIME ZONE cfg.reporting_timezone AS starts,
           (m + interval '1 month') AT TIME ZONE cfg.reporting_timezone AS ends
    FROM settings AS cfg
    CROSS JOIN LATERAL generate_series(
        date_trunc('month', at AT TIME ZONE cfg.reporting_timezone) - interval '12 months',
        date_trunc('month', at AT TIME ZONE cfg.reporting_timezone) - interval '1 month',
        interval '1 month'
    ) AS m
),
registered AS (
    SELECT 'supplier'::text AS user_type, su.id, su.created_at
    FROM suppliers AS su
    WHERE su.created_at <= at AND (su.deleted_at IS NULL OR su.deleted_at > at)
    UNION ALL
    SELECT 'couple'::text, co.id, co.created_at
    FROM couples AS co
    WHERE co.created_at <= at AND (co.deleted_at IS NULL OR co.deleted_at > at)
),
active AS (
    SELECT DISTINCT s.user_type, s.user_id
    FROM valid_sessions AS s
    WHERE s.created_at > at - interval '30 days' AND s.created_at <= at
)
SELECT r.user_type, c.label, r.id, a.user_id IS NOT NULL
FROM registered AS r
JOIN cohorts AS c ON r.created_at >= c.starts AND r.created_at < c.ends
LEFT JOIN active AS a ON a.user_type = r.user_type AND a.user_id = r.id
ORDER BY r.user_type, c.label, r.id
LIMIT least(greatest(max_rows, 0), 10000)
$$;

-- Who may call them: nobody but grafana_reader (and the owner). The search_path is
-- pinned with pg_temp last, as a SECURITY DEFINER function needs.
DO $$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'records_paying_suppliers(timestamptz, integer)',
        'records_mrr_movements(timestamptz, integer)',
        'records_at_risk(timestamptz, interval, integer)',
        'records_k_invitations(timestamptz, interval, integer)',
        'records_revenue_cohorts(timestamptz, integer)',
        'records_activity_cohorts(timestamptz, integer)'
    ] LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = %s, pg_temp',
                       fn, current_setting('search_path'));
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO grafana_reader', current_schema());
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO grafana_reader', fn);
        END IF;
    END LOOP;
END
$$;
