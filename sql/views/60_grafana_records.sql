-- The records behind the overview's cards and the boards' row-level tables, for
-- Grafana's PostgreSQL datasource: one read-only function per table, taking the board's
-- instant (`$__timeTo()`) or time range and a row limit (default 1000, at most 10000),
-- e.g.
--   SELECT * FROM records_paying_suppliers($__timeTo())
-- Each returns ids, categories, countries, plans, channels, months, amounts and
-- instants only: never a name, an e-mail or free text. A card's records make the card's
-- number at the same instant (tests/test_grafana_records.py checks it): the exporter's
-- definitions of SPEC §3 and §6, read from the functions of 25_supplier_mrr.sql and
-- 22_heard_from.sql, subscription_periods and valid_sessions.
--
-- Windows that come from the config (the viral window, the at-risk quiet period) are
-- parameters with the config's defaults; a board whose config differs passes its own.
-- The block at the end makes every function grafana_reader calls (these and the
-- grafana_ aggregates of 50_grafana_reader.sql) SECURITY DEFINER with a fixed
-- search_path, executable by grafana_reader alone.

-- The row limit of every records_ function: max_rows, within [0, 10000].
CREATE FUNCTION bounded_rows(max_rows integer)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT least(greatest(max_rows, 0), 10000) $$;

-- The 12 local calendar months before T's (SPEC §6): label YYYY-MM, [starts, ends).
CREATE FUNCTION cohort_months(t timestamptz)
RETURNS TABLE (label text, starts timestamptz, ends timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT to_char(m, 'YYYY-MM'),
       m AT TIME ZONE cfg.reporting_timezone,
       (m + interval '1 month') AT TIME ZONE cfg.reporting_timezone
FROM settings AS cfg
CROSS JOIN LATERAL generate_series(
    date_trunc('month', t AT TIME ZONE cfg.reporting_timezone) - interval '12 months',
    date_trunc('month', t AT TIME ZONE cfg.reporting_timezone) - interval '1 month',
    interval '1 month'
) AS m
$$;

-- Suppliers paying at T: m_x(T) > 0. Row count = execmetrics_paying_suppliers. With
-- quiet: only those not heard from in (T - quiet, T] (SPEC §6); Σ mrr =
-- execmetrics_mrr_at_risk (records_at_risk).
CREATE FUNCTION records_paying_suppliers(
    at timestamptz,
    max_rows integer DEFAULT 1000,
    quiet interval DEFAULT NULL
)
RETURNS TABLE (supplier_id bigint, category text, country text, plan text, mrr numeric)
LANGUAGE sql
STABLE
AS $$
SELECT p.supplier_id, label_value(su.category), label_value(su.country), p.plans, p.mrr
FROM paying_suppliers(at) AS p
LEFT JOIN suppliers AS su ON su.id = p.supplier_id
WHERE quiet IS NULL
   OR NOT EXISTS (
          SELECT FROM suppliers_heard_from(at - quiet, at) AS h WHERE h.supplier_id = p.supplier_id
      )
ORDER BY p.mrr DESC, p.supplier_id
LIMIT bounded_rows(max_rows)
$$;

-- Suppliers paying at T with no valid session and no invitation sent in (T - quiet, T]
-- (SPEC §6). Row count = the suppliers at risk; Σ mrr = execmetrics_mrr_at_risk.
CREATE FUNCTION records_at_risk(
    at timestamptz,
    quiet interval DEFAULT interval '14 days',
    max_rows integer DEFAULT 1000
)
RETURNS TABLE (supplier_id bigint, category text, country text, plan text, mrr numeric)
LANGUAGE sql STABLE
AS $$ SELECT * FROM records_paying_suppliers(at, max_rows, quiet) $$;

-- Suppliers behind each MRR movement over (since, T] (SPEC §3); since defaults to M1 =
-- T minus one calendar month in the reporting time zone (the card's window), a board
-- passes its time range's start. mrr_start = m_x(since), mrr_end = m_x(T), mrr_change =
-- mrr_end - mrr_start: its sum per movement is the movement's amount (negative for
-- contraction and churn). plan: the plans live at T, or at since for a churned
-- supplier. No row when since >= T.
CREATE FUNCTION records_mrr_movements(
    at timestamptz,
    max_rows integer DEFAULT 1000,
    since timestamptz DEFAULT NULL
)
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
AS $$
WITH bounds AS (
    SELECT coalesce(
               since,
               ((at AT TIME ZONE cfg.reporting_timezone) - interval '1 month')
                   AT TIME ZONE cfg.reporting_timezone
           ) AS m1
    FROM settings AS cfg
),
moves AS (
    SELECT m.*, mrr_movement(m.mrr_at_m1, m.mrr_at_t, m.paid_before_m1) AS movement
    FROM bounds AS b
    CROSS JOIN LATERAL supplier_mrr(at, b.m1) AS m
    WHERE b.m1 < at
)
SELECT m.supplier_id,
       label_value(su.category),
       label_value(su.country),
       CASE WHEN m.mrr_at_t > 0 THEN m.plans_at_t ELSE m.plans_at_m1 END,
       m.movement,
       m.mrr_at_m1,
       m.mrr_at_t,
       m.mrr_at_t - m.mrr_at_m1
FROM moves AS m
LEFT JOIN suppliers AS su ON su.id = m.supplier_id
WHERE m.movement IS NOT NULL
ORDER BY 5, abs(m.mrr_at_t - m.mrr_at_m1) DESC, m.supplier_id
LIMIT bounded_rows(max_rows)
$$;

-- The invitations K counts as accepted (SPEC §3): sent in (T - window, T], accepted at
-- or before T and not before sent. Row count = execmetrics_invitations_accepted. The
-- couple is left out; lag_seconds = accepted_at - sent_at.
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
AS $$
SELECT i.id,
       label_value(i.channel),
       i.supplier_id,
       extract(epoch FROM i.accepted_at - i.sent_at)::double precision
FROM invitations AS i
WHERE i.sent_at > at - viral_window AND i.sent_at <= at
  AND accepted_by(i.sent_at, i.accepted_at, at)
ORDER BY i.accepted_at DESC, i.id
LIMIT bounded_rows(max_rows)
$$;

-- Suppliers ranked by invitations accepted, then sent, over (window_from, window_to]
-- (SPEC §3 viral definitions with T = window_to): sent = invitations sent in the
-- window, accepted = those of them accepted by window_to. At most max_rows rows
-- (default 25).
CREATE FUNCTION records_top_inviters(
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
AS $$
WITH per_supplier AS (
    SELECT i.supplier_id,
           count(*) AS sent,
           count(*) FILTER (WHERE accepted_by(i.sent_at, i.accepted_at, window_to)) AS accepted
    FROM invitations AS i
    WHERE i.sent_at > window_from AND i.sent_at <= window_to
    GROUP BY i.supplier_id
)
SELECT row_number() OVER (ORDER BY p.accepted DESC, p.sent DESC, p.supplier_id),
       p.supplier_id,
       label_value(su.category),
       label_value(su.country),
       p.sent,
       p.accepted,
       p.accepted::double precision / p.sent
FROM per_supplier AS p
LEFT JOIN suppliers AS su ON su.id = p.supplier_id
ORDER BY 1
LIMIT bounded_rows(max_rows)
$$;

-- Sign-ups in (window_from, window_to], both sides, newest first: user_type, the
-- internal id, the supplier's category (NULL for couples), the country, when the
-- account was created, and whether it still exists at window_to.
CREATE FUNCTION records_signups(
    window_from timestamptz,
    window_to timestamptz,
    max_rows integer DEFAULT 1000
)
RETURNS TABLE (
    user_type  text,
    user_id    bigint,
    category   text,
    country    text,
    created_at timestamptz,
    registered boolean
)
LANGUAGE sql
STABLE
AS $$
WITH signups AS (
    SELECT 'supplier'::text AS user_type, su.id, label_value(su.category) AS category,
           su.country, su.created_at, su.deleted_at
    FROM suppliers AS su
    UNION ALL
    SELECT 'couple', co.id, NULL, co.country, co.created_at, co.deleted_at
    FROM couples AS co
)
SELECT s.user_type,
       s.id,
       s.category,
       label_value(s.country),
       s.created_at,
       exists_at(s.created_at, s.deleted_at, window_to)
FROM signups AS s
WHERE s.created_at > window_from AND s.created_at <= window_to
ORDER BY s.created_at DESC, s.user_type, s.id
LIMIT bounded_rows(max_rows)
$$;

-- Users of both sides with a valid session in (T - 30 days, T] (SPEC §3), most recently
-- seen first: user_type, the internal id, the supplier's category (NULL for couples),
-- the latest session's instant, and whether it falls in the last day and the last 7
-- days. Per user type, the row count = execmetrics_active_users{window="30d"}; the rows
-- with active_1d (active_7d) = window 1d (7d); rows with active_1d / rows = DAU/MAU.
-- The windows are absolute durations (hours), as the exporter's, whatever the session's
-- time zone.
CREATE FUNCTION records_active_users(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    user_type    text,
    user_id      bigint,
    category     text,
    last_seen_at timestamptz,
    active_1d    boolean,
    active_7d    boolean
)
LANGUAGE sql
STABLE
AS $$
WITH last_seen AS (
    SELECT s.user_type, s.user_id, max(s.created_at) AS last_seen
    FROM valid_sessions AS s
    WHERE s.created_at > at - interval '720 hours' AND s.created_at <= at
    GROUP BY s.user_type, s.user_id
)
SELECT l.user_type,
       l.user_id,
       CASE WHEN l.user_type = 'supplier' THEN label_value(su.category) END,
       l.last_seen,
       l.last_seen > at - interval '24 hours',
       l.last_seen > at - interval '168 hours'
FROM last_seen AS l
LEFT JOIN suppliers AS su ON l.user_type = 'supplier' AND su.id = l.user_id
ORDER BY l.last_seen DESC, l.user_type, l.user_id
LIMIT bounded_rows(max_rows)
$$;

-- Users of both sides seen in (T - 60 days, T] and their lifecycle state at T (SPEC §6),
-- as the growth group classifies them: with C = (T - 30 days, T] and P = (T - 60 days,
-- T - 30 days], returning when active in C and P, new when active in C and created in
-- C, resurrected when active in C otherwise (a user row missing included), dormant when
-- active in P only. Per side and state, the row count = execmetrics_user_lifecycle;
-- (new + resurrected) / dormant = the users' quick ratio. Absolute windows (hours).
CREATE FUNCTION records_lifecycle(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    user_type     text,
    user_id       bigint,
    category      text,
    state         text,
    first_seen_at timestamptz,
    last_seen_at  timestamptz
)
LANGUAGE sql
STABLE
AS $$
WITH seen AS (
    SELECT s.user_type, s.user_id, min(s.created_at) AS first_seen, max(s.created_at) AS last_seen
    FROM valid_sessions AS s
    WHERE s.created_at > at - interval '1440 hours' AND s.created_at <= at
    GROUP BY s.user_type, s.user_id
),
classified AS (
    SELECT seen.*,
           CASE WHEN seen.user_type = 'supplier' THEN label_value(su.category) END AS category,
           CASE
               WHEN seen.last_seen > at - interval '720 hours'
                   AND seen.first_seen <= at - interval '720 hours' THEN 'returning'
               WHEN seen.last_seen > at - interval '720 hours'
                   AND coalesce(su.created_at, co.created_at) > at - interval '720 hours'
                   THEN 'new'
               WHEN seen.last_seen > at - interval '720 hours' THEN 'resurrected'
               ELSE 'dormant'
           END AS state
    FROM seen
    LEFT JOIN suppliers AS su ON seen.user_type = 'supplier' AND su.id = seen.user_id
    LEFT JOIN couples AS co ON seen.user_type = 'couple' AND co.id = seen.user_id
)
SELECT c.user_type, c.user_id, c.category, c.state, c.first_seen, c.last_seen
FROM classified AS c
ORDER BY c.state, c.user_type, c.user_id
LIMIT bounded_rows(max_rows)
$$;

-- Revenue rows whose trial ends in (since, T] after the row starts (SPEC §6); since
-- defaults to M1, the card's window. converted: the row goes on past the trial's end.
-- Row count = the trials that ended; the share converted = execmetrics_trial_conversion_ratio.
CREATE FUNCTION records_trials(
    at timestamptz,
    max_rows integer DEFAULT 1000,
    since timestamptz DEFAULT NULL
)
RETURNS TABLE (
    supplier_id   bigint,
    category      text,
    country       text,
    plan          text,
    trial_ends_at timestamptz,
    converted     boolean,
    mrr           numeric
)
LANGUAGE sql
STABLE
AS $$
WITH bounds AS (
    SELECT coalesce(
               since,
               ((at AT TIME ZONE cfg.reporting_timezone) - interval '1 month')
                   AT TIME ZONE cfg.reporting_timezone
           ) AS m1
    FROM settings AS cfg
)
SELECT p.supplier_id,
       label_value(su.category),
       label_value(su.country),
       p.plan,
       p.trial_ends_at,
       p.ended_at IS NULL OR p.ended_at > p.trial_ends_at,
       p.mrr
FROM bounds AS b
JOIN subscription_periods AS p
    ON p.mrr > 0 AND p.trial_ends_at > b.m1 AND p.trial_ends_at <= at
   AND p.trial_ends_at > p.started_at
LEFT JOIN suppliers AS su ON su.id = p.supplier_id
ORDER BY p.trial_ends_at DESC, p.supplier_id, p.id
LIMIT bounded_rows(max_rows)
$$;

-- The sessions the average session duration reads (SPEC §3): created in
-- (T - engagement_window, T] with a duration above zero, newest first, each duration
-- capped at session_cap (the config's engagement.window and engagement.session_cap;
-- pass them when the config changes them). avg(duration_seconds) =
-- execmetrics_session_duration_average_seconds when no row is cut by max_rows.
CREATE FUNCTION records_sessions(
    at timestamptz,
    engagement_window interval DEFAULT interval '168 hours',
    session_cap integer DEFAULT 14400,
    max_rows integer DEFAULT 1000
)
RETURNS TABLE (
    session_id       bigint,
    user_type        text,
    user_id          bigint,
    category         text,
    created_at       timestamptz,
    duration_seconds double precision
)
LANGUAGE sql
STABLE
AS $$
SELECT s.id,
       s.user_type,
       s.user_id,
       CASE WHEN s.user_type = 'supplier' THEN label_value(su.category) END,
       s.created_at,
       least(s.session_duration, session_cap)::double precision
FROM valid_sessions AS s
LEFT JOIN suppliers AS su ON s.user_type = 'supplier' AND su.id = s.user_id
WHERE s.created_at > at - engagement_window AND s.created_at <= at
  AND s.session_duration > 0
ORDER BY s.created_at DESC, s.id
LIMIT bounded_rows(max_rows)
$$;

-- Members of the supplier cohorts (SPEC §6): suppliers whose first paying instant f_x
-- falls in one of the 12 local months before T's; mrr_first = m_x(f_x), mrr_now = m_x(T).
-- Per cohort: share with mrr_now > 0 = execmetrics_cohort_logo_retention_ratio,
-- Σ mrr_now / Σ mrr_first = execmetrics_cohort_mrr_retention_ratio.
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
AS $$
SELECT c.label,
       fp.supplier_id,
       label_value(su.category),
       label_value(su.country),
       fp.first_paid_at,
       fp.mrr_first,
       fp.mrr_now
FROM cohort_months(at) AS c
JOIN supplier_first_paid(at) AS fp ON fp.first_paid_at >= c.starts AND fp.first_paid_at < c.ends
LEFT JOIN suppliers AS su ON su.id = fp.supplier_id
ORDER BY c.label, fp.supplier_id
LIMIT bounded_rows(max_rows)
$$;

-- Members of the activity cohorts (SPEC §6), both sides: users created in one of the 12
-- local months before T's and registered at T; active = a valid session in
-- (T - 30 days, T]. Per user type and cohort: the share active =
-- execmetrics_cohort_active_ratio. user_id is the supplier's or the couple's id.
CREATE FUNCTION records_activity_cohorts(at timestamptz, max_rows integer DEFAULT 1000)
RETURNS TABLE (
    user_type text,
    cohort    text,
    user_id   bigint,
    active    boolean
)
LANGUAGE sql
STABLE
AS $$
WITH registered AS (
    SELECT 'supplier'::text AS user_type, su.id, su.created_at
    FROM suppliers AS su
    WHERE exists_at(su.created_at, su.deleted_at, at)
    UNION ALL
    SELECT 'couple'::text, co.id, co.created_at
    FROM couples AS co
    WHERE exists_at(co.created_at, co.deleted_at, at)
),
active AS (
    SELECT DISTINCT s.user_type, s.user_id
    FROM valid_sessions AS s
    WHERE s.created_at > at - interval '30 days' AND s.created_at <= at
)
SELECT r.user_type, c.label, r.id, a.user_id IS NOT NULL
FROM registered AS r
JOIN cohort_months(at) AS c ON r.created_at >= c.starts AND r.created_at < c.ends
LEFT JOIN active AS a ON a.user_type = r.user_type AND a.user_id = r.id
ORDER BY r.user_type, c.label, r.id
LIMIT bounded_rows(max_rows)
$$;

-- Every function grafana_reader calls, the grafana_ aggregates of 50_grafana_reader.sql
-- and the records_ tables here: SECURITY DEFINER, so the reader gets these rows and sums
-- without any right on the source tables or the other exporter objects; the search_path
-- pinned to the exporter and source schemas with pg_temp last, as a SECURITY DEFINER
-- function needs; executable by nobody but grafana_reader (and the owner).
DO $$
DECLARE
    fn regprocedure;
BEGIN
    FOR fn IN
        SELECT p.oid::regprocedure
        FROM pg_proc AS p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND (p.proname LIKE 'records\_%' OR p.proname LIKE 'grafana\_%')
    LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %s, pg_temp',
                       fn, current_setting('search_path'));
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO grafana_reader', fn);
        END IF;
    END LOOP;
END
$$;
