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
-- A user row is found by its key (suppliers and couples separately), never by a scan
-- of both tables joined to the 60-day activity.
classified AS (
    SELECT seen.user_type,
           CASE
               WHEN seen.in_c AND seen.in_p THEN 'returning'
               WHEN seen.in_c AND coalesce(su.created_at, co.created_at) > %(lifecycle_c_start)s
                   THEN 'new'
               WHEN seen.in_c THEN 'resurrected'
               ELSE 'dormant'
           END AS state
    FROM seen
    LEFT JOIN suppliers AS su ON seen.user_type = 'supplier' AND su.id = seen.user_id
    LEFT JOIN couples AS co ON seen.user_type = 'couple' AND co.id = seen.user_id
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
-- Users registered at T and created within the cohort months, each with the index of its
-- month (width_bucket: the i with bounds[i] <= created_at < bounds[i + 1]).
members AS (
    SELECT u.user_type, u.id, width_bucket(u.created_at, b.bounds) AS i, u.created_at
    FROM bounds AS b
    CROSS JOIN LATERAL (
        SELECT 'supplier'::text AS user_type, su.id, su.created_at, su.deleted_at
        FROM suppliers AS su
        WHERE su.created_at >= b.bounds[1] AND su.created_at < b.bounds[cardinality(b.bounds)]
        UNION ALL
        SELECT 'couple'::text, co.id, co.created_at, co.deleted_at
        FROM couples AS co
        WHERE co.created_at >= b.bounds[1] AND co.created_at < b.bounds[cardinality(b.bounds)]
    ) AS u
    WHERE exists_at(u.created_at, u.deleted_at, %(t)s)
),
cohort_ratios AS (
    SELECT m.user_type,
           b.labels[m.i] AS cohort,
           (count(*) FILTER (WHERE seen.in_c)::numeric / count(*))::double precision
               AS active_ratio
    FROM members AS m
    CROSS JOIN bounds AS b
    LEFT JOIN seen ON seen.user_type = m.user_type AND seen.user_id = m.id
    WHERE m.created_at >= b.starts[m.i] AND m.created_at < b.ends[m.i]
    GROUP BY m.user_type, b.labels[m.i]
)
SELECT l.user_type, l.state, l.users, NULL::text AS cohort, NULL::double precision AS active_ratio
FROM lifecycle AS l
UNION ALL
SELECT r.user_type, NULL, NULL, r.cohort, r.active_ratio
FROM cohort_ratios AS r
ORDER BY 1, 2, 4;
