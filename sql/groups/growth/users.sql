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
--
-- Each user active in (T - 60 days, T], keyed by (supplier_id, couple_id) (exactly one is
-- set), with its first and last session there: active in C when last_seen is in C,
-- active in P when first_seen is in P.
WITH seen AS (
    SELECT s.supplier_id,
           s.couple_id,
           min(s.created_at) AS first_seen,
           max(s.created_at) AS last_seen
    FROM valid_sessions AS s
    WHERE s.created_at > %(lifecycle_p_start)s AND s.created_at <= %(t)s
    GROUP BY s.supplier_id, s.couple_id
),
-- Only a user created after T - 30 days can be new: the user rows are read by the
-- created_at index from there, never all of them.
classified AS (
    SELECT CASE WHEN seen.supplier_id IS NOT NULL THEN 'supplier' ELSE 'couple' END AS user_type,
           CASE
               WHEN seen.last_seen > %(lifecycle_c_start)s
                   AND seen.first_seen <= %(lifecycle_c_start)s THEN 'returning'
               WHEN seen.last_seen > %(lifecycle_c_start)s
                   AND (su.id IS NOT NULL OR co.id IS NOT NULL) THEN 'new'
               WHEN seen.last_seen > %(lifecycle_c_start)s THEN 'resurrected'
               ELSE 'dormant'
           END AS state
    FROM seen
    LEFT JOIN suppliers AS su
        ON su.id = seen.supplier_id AND su.created_at > %(lifecycle_c_start)s
    LEFT JOIN couples AS co
        ON co.id = seen.couple_id AND co.created_at > %(lifecycle_c_start)s
),
counted AS (
    SELECT cl.user_type, cl.state, count(*) AS users
    FROM classified AS cl
    GROUP BY cl.user_type, cl.state
),
lifecycle AS (
    SELECT types.user_type, states.state, coalesce(c.users, 0)::double precision AS users
    FROM (VALUES ('supplier'), ('couple')) AS types (user_type)
    CROSS JOIN (VALUES ('new'), ('returning'), ('resurrected'), ('dormant')) AS states (state)
    LEFT JOIN counted AS c ON c.user_type = types.user_type AND c.state = states.state
),
-- The cohort months, consecutive and in order: [starts[i], ends[i]) with ends[i] =
-- starts[i + 1]; `bounds` is every start and the last end.
cohorts AS (
    SELECT %(cohort_labels)s::text[] AS labels,
           %(cohort_starts)s::timestamptz[] AS starts,
           %(cohort_ends)s::timestamptz[] AS ends
),
bounds AS (
    SELECT c.labels, c.starts, c.ends, c.starts || c.ends[cardinality(c.ends)] AS bounds
    FROM cohorts AS c
),
-- Users registered at T and created within the cohort months (read by the created_at
-- indexes), each with the index of its month (width_bucket: the i with bounds[i] <=
-- created_at < bounds[i + 1]) and its last session in the 60 days.
members AS (
    SELECT 'supplier'::text AS user_type,
           width_bucket(su.created_at, b.bounds) AS i,
           su.created_at,
           seen.last_seen
    FROM bounds AS b
    JOIN suppliers AS su
        ON su.created_at >= b.bounds[1] AND su.created_at < b.bounds[cardinality(b.bounds)]
    LEFT JOIN seen ON seen.supplier_id = su.id
    WHERE exists_at(su.created_at, su.deleted_at, %(t)s)
    UNION ALL
    SELECT 'couple'::text,
           width_bucket(co.created_at, b.bounds),
           co.created_at,
           seen.last_seen
    FROM bounds AS b
    JOIN couples AS co
        ON co.created_at >= b.bounds[1] AND co.created_at < b.bounds[cardinality(b.bounds)]
    LEFT JOIN seen ON seen.couple_id = co.id
    WHERE exists_at(co.created_at, co.deleted_at, %(t)s)
),
per_month AS (
    SELECT m.user_type,
           m.i,
           count(*) FILTER (WHERE m.last_seen > %(lifecycle_c_start)s) AS active,
           count(*) AS members
    FROM members AS m
    CROSS JOIN bounds AS b
    WHERE m.created_at >= b.starts[m.i] AND m.created_at < b.ends[m.i]
    GROUP BY m.user_type, m.i
),
cohort_ratios AS (
    SELECT p.user_type,
           b.labels[p.i] AS cohort,
           (p.active::numeric / p.members)::double precision AS active_ratio
    FROM per_month AS p
    CROSS JOIN bounds AS b
)
SELECT l.user_type, l.state, l.users, NULL::text AS cohort, NULL::double precision AS active_ratio
FROM lifecycle AS l
UNION ALL
SELECT r.user_type, NULL, NULL, r.cohort, r.active_ratio
FROM cohort_ratios AS r
ORDER BY 1, 2, 4;
