-- Growth accounting per side and the activity cohorts (SPEC §6), from one pass over the
-- last 60 days of valid sessions.
--
-- Lifecycle, with C = (T - 30 days, T] and P = (T - 60 days, T - 30 days]: among users
-- active in C, returning if also active in P, else new if created after T - 30 days,
-- else resurrected; dormant: active in P and not in C. Activity reads valid sessions
-- only (deleted users' sessions included, as for active users). A session whose user
-- row is missing has no creation instant, so its user is never "new": it is resurrected
-- (docs/spec.md). Every state is exported, 0 when empty.
--
-- Activity cohorts: the users created in a local calendar month [start, end) (one of the
-- 12 before T's local month) and registered at T; the share of them active in C. A
-- month without members has no row.
--
-- Rows of the two kinds share the result: a lifecycle row has `users` and no
-- `active_ratio`, a cohort row the other way round (a NULL value is no sample).
WITH seen AS (
    SELECT s.user_type,
           s.user_id,
           bool_or(s.created_at > %(lifecycle_c_start)s) AS in_c,
           bool_or(s.created_at <= %(lifecycle_c_start)s) AS in_p
    FROM valid_sessions AS s
    WHERE s.created_at > %(lifecycle_p_start)s AND s.created_at <= %(t)s
    GROUP BY s.user_type, s.user_id
),
users AS (
    SELECT 'supplier'::text AS user_type, su.id, su.created_at, su.deleted_at
    FROM suppliers AS su
    UNION ALL
    SELECT 'couple'::text, co.id, co.created_at, co.deleted_at
    FROM couples AS co
),
classified AS (
    SELECT seen.user_type,
           CASE
               WHEN seen.in_c AND seen.in_p THEN 'returning'
               WHEN seen.in_c AND u.created_at > %(lifecycle_c_start)s THEN 'new'
               WHEN seen.in_c THEN 'resurrected'
               ELSE 'dormant'
           END AS state
    FROM seen
    LEFT JOIN users AS u ON u.user_type = seen.user_type AND u.id = seen.user_id
),
lifecycle AS (
    SELECT types.user_type, states.state, count(cl.state)::double precision AS users
    FROM (VALUES ('supplier'), ('couple')) AS types (user_type)
    CROSS JOIN (VALUES ('new'), ('returning'), ('resurrected'), ('dormant')) AS states (state)
    LEFT JOIN classified AS cl ON cl.user_type = types.user_type AND cl.state = states.state
    GROUP BY types.user_type, states.state
),
cohorts AS (
    SELECT c.label, c.starts, c.ends
    FROM unnest(
        %(cohort_labels)s::text[], %(cohort_starts)s::timestamptz[], %(cohort_ends)s::timestamptz[]
    ) AS c (label, starts, ends)
),
cohort_ratios AS (
    SELECT u.user_type,
           c.label AS cohort,
           (count(*) FILTER (WHERE seen.in_c)::numeric / count(*))::double precision
               AS active_ratio
    FROM users AS u
    JOIN cohorts AS c ON u.created_at >= c.starts AND u.created_at < c.ends
    LEFT JOIN seen ON seen.user_type = u.user_type AND seen.user_id = u.id
    WHERE u.created_at <= %(t)s AND (u.deleted_at IS NULL OR u.deleted_at > %(t)s)
    GROUP BY u.user_type, c.label
)
SELECT l.user_type, l.state, l.users, NULL::text AS cohort, NULL::double precision AS active_ratio
FROM lifecycle AS l
UNION ALL
SELECT r.user_type, NULL, NULL, r.cohort, r.active_ratio
FROM cohort_ratios AS r
ORDER BY 1, 2, 4;
