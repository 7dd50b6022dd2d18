-- Growth accounting per side and the activity cohorts (SPEC §6) at every instant of a
-- pass, from one read of the valid sessions in the instants' (T - 60 days, T] (the
-- disjoint spans read_60d_*; docs/spec.md, "Many instants").
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
-- How. The sweep's times are every T of the pass and every T - 30 days, in order and
-- numbered from 1 (sweep_edges, each time + 1 µs: width_bucket(x, sweep_edges) is the
-- number of times before x). A session at s is in the 30-day window of the times
-- numbered j(s) = (times before s) + 1 to (times before s + 30 days): per user, the
-- union of these runs of numbers is the set of times it is active at, and taken in
-- order (lag) the runs become disjoint pieces; a count of users at a time is a count
-- of the pieces holding its number (+1 where a piece starts, -1 after it ends, summed
-- up to the number). The sessions of a user that start at the same number share it, so
-- only the latest of them is kept. Then, per side: C(T) = the 30-day pieces read at
-- T; P(T) = C(T - 30 days), the same sweep read at T - 30 days (k_lifecycle_c); C or P =
-- the 60-day pieces read at T; returning = C + P - (C or P), dormant = (C or P) - C, and
-- (C, not P) = (C or P) - P splits into new and resurrected by the users whose row makes
-- them new: created after first_t - 30 days, each with the set of instants at which
-- it is new, (C_u - P_u) * (-inf, created_at + 30 days), as ranges of time from its
-- sessions. Durations are in hours: absolute whatever the session's time zone.
--
-- Rows of the two kinds share the result: a lifecycle row has `users` and no
-- `active_ratio`, a cohort row the other way round (a NULL value is no sample).
WITH instants AS (
    SELECT i.n, i.k, i.k_c, i.cohort_first, i.cohort_last
    FROM unnest(
        %(n)s::integer[], %(k)s::integer[], %(k_lifecycle_c)s::integer[],
        %(cohort_first)s::text[], %(cohort_last)s::text[]
    ) AS i (n, k, k_c, cohort_first, cohort_last)
),
raw AS MATERIALIZED (
    SELECT s.supplier_id, s.couple_id, s.created_at
    FROM unnest(%(read_60d_from)s::timestamptz[], %(read_60d_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
),
-- Per user and first time number, the latest session. A user is (user_id, is_couple):
-- the one of supplier_id and couple_id that is set, and which; the id leads the sort
-- keys (as in sql/groups/users/active.sql).
runs AS (
    SELECT coalesce(r.supplier_id, r.couple_id) AS user_id,
           r.supplier_id IS NULL AS is_couple,
           width_bucket(r.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS j,
           max(r.created_at) AS last
    FROM raw AS r
    GROUP BY 1, 2, 3
),
pieces AS (
    SELECT CASE WHEN x.is_couple THEN 'couple' ELSE 'supplier' END AS user_type,
           CASE WHEN NOT x.is_couple THEN x.user_id END AS supplier_id,
           CASE WHEN x.is_couple THEN x.user_id END AS couple_id,
           greatest(x.j, coalesce(lag(x.m30) OVER w, 0) + 1) AS c_from,
           x.m30 AS c_to,
           greatest(x.j, coalesce(lag(x.m60) OVER w, 0) + 1) AS cp_from,
           x.m60 AS cp_to
    FROM (
        SELECT ru.*,
               width_bucket(ru.last + interval '720 hours', %(sweep_edges)s::timestamptz[]) AS m30,
               width_bucket(ru.last + interval '1440 hours', %(sweep_edges)s::timestamptz[]) AS m60
        FROM runs AS ru
    ) AS x
    WINDOW w AS (PARTITION BY x.user_id, x.is_couple ORDER BY x.j)
),
-- The users who may be new at some instant: a row created after first_t - 30 days.
-- Only sessions before created_at + 30 days make them new, and only sessions before
-- created_at make them active in P while they are.
young AS (
    SELECT y.user_type,
           range_agg(tstzrange(y.s, y.s + interval '720 hours')) AS c,
           range_agg(tstzrange(y.s + interval '720 hours', y.s + interval '1440 hours'))
               FILTER (WHERE y.s < y.created_at) AS p,
           min(y.created_at) AS created_at
    FROM (
        SELECT 'supplier'::text AS user_type, su.id, su.created_at, r.created_at AS s
        FROM raw AS r
        JOIN suppliers AS su ON su.id = r.supplier_id
        WHERE su.created_at > %(first_t)s::timestamptz - interval '720 hours'
          AND r.created_at < su.created_at + interval '720 hours'
        UNION ALL
        SELECT 'couple', co.id, co.created_at, r.created_at
        FROM raw AS r
        JOIN couples AS co ON co.id = r.couple_id
        WHERE co.created_at > %(first_t)s::timestamptz - interval '720 hours'
          AND r.created_at < co.created_at + interval '720 hours'
    ) AS y
    GROUP BY y.user_type, y.id
),
-- Cohort members: users created within the cohort months of all the instants
-- (cohort_bounds are their edges in order; cohort_bucket_labels[i] names the month
-- [bounds[i], bounds[i + 1]), NULL for a gap between the months of instants far apart),
-- counted at the times numbered from created_at until deleted_at ([created_at,
-- deleted_at) holds the time), and as active where also in one of their pieces of C.
members AS (
    SELECT m.user_type,
           m.id,
           (%(cohort_bucket_labels)s::text[])[
               width_bucket(m.created_at, %(cohort_bounds)s::timestamptz[])
           ] AS cohort,
           width_bucket(m.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS r_from,
           CASE
               WHEN m.deleted_at IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
               ELSE width_bucket(m.deleted_at, %(sweep_edges)s::timestamptz[])
           END AS r_to
    FROM (
        SELECT 'supplier'::text AS user_type, su.id, su.created_at, su.deleted_at
        FROM suppliers AS su
        WHERE su.created_at >= %(cohort_first_start)s AND su.created_at < %(cohort_last_end)s
        UNION ALL
        SELECT 'couple', co.id, co.created_at, co.deleted_at
        FROM couples AS co
        WHERE co.created_at >= %(cohort_first_start)s AND co.created_at < %(cohort_last_end)s
    ) AS m
),
-- Runs of time numbers [from, to], each a +1 at `from` and a -1 at `to + 1`.
spans AS (
    SELECT p.user_type, 'c'::text AS key, p.c_from AS s_from, p.c_to AS s_to FROM pieces AS p
    UNION ALL
    SELECT p.user_type, 'cp', p.cp_from, p.cp_to FROM pieces AS p
    UNION ALL
    SELECT y.user_type, 'new',
           width_bucket(coalesce(lower(r.r), '-infinity'), %(sweep_edges)s::timestamptz[]) + 1,
           width_bucket(upper(r.r), %(sweep_edges)s::timestamptz[])
    FROM young AS y
    CROSS JOIN LATERAL unnest(
        (y.c - coalesce(y.p, '{}'::tstzmultirange))
        * tstzmultirange(tstzrange(NULL, y.created_at + interval '720 hours'))
    ) AS r (r)
    UNION ALL
    SELECT mb.user_type, 'members:' || mb.cohort, mb.r_from, mb.r_to
    FROM members AS mb
    WHERE mb.cohort IS NOT NULL
    UNION ALL
    SELECT mb.user_type, 'active:' || mb.cohort, greatest(mb.r_from, p.c_from), least(mb.r_to, p.c_to)
    FROM members AS mb
    JOIN pieces AS p ON p.supplier_id = mb.id
    WHERE mb.user_type = 'supplier' AND mb.cohort IS NOT NULL
    UNION ALL
    SELECT mb.user_type, 'active:' || mb.cohort, greatest(mb.r_from, p.c_from), least(mb.r_to, p.c_to)
    FROM members AS mb
    JOIN pieces AS p ON p.couple_id = mb.id
    WHERE mb.user_type = 'couple' AND mb.cohort IS NOT NULL
),
-- Equal runs counted once, then +w at `from` and -w at `to + 1`, and the running sum
-- at every time number of every key (a grid of keys x numbers, numbers without events
-- included) read at each instant's number.
weighted AS (
    SELECT sp.user_type, sp.key, sp.s_from, sp.s_to, count(*) AS w
    FROM spans AS sp
    WHERE sp.s_from <= sp.s_to
    GROUP BY 1, 2, 3, 4
),
binned AS (
    SELECT wt.user_type, wt.key, e.at, sum(e.delta) AS delta
    FROM weighted AS wt
    CROSS JOIN LATERAL (VALUES (wt.s_from, wt.w), (wt.s_to + 1, -wt.w)) AS e (at, delta)
    GROUP BY 1, 2, 3
),
running AS (
    SELECT g.user_type, g.key, g.at,
           sum(coalesce(b.delta, 0)) OVER (
               PARTITION BY g.user_type, g.key ORDER BY g.at
           ) AS running
    FROM (
        SELECT keys.user_type, keys.key, numbers.at
        FROM (SELECT DISTINCT b.user_type, b.key FROM binned AS b) AS keys
        CROSS JOIN generate_series(1, cardinality(%(sweep_edges)s::timestamptz[])) AS numbers (at)
    ) AS g
    LEFT JOIN binned AS b ON b.user_type = g.user_type AND b.key = g.key AND b.at = g.at
),
counts AS (
    SELECT i.n, r.user_type, r.key, r.running
    FROM instants AS i
    JOIN running AS r ON r.at = i.k
    UNION ALL
    -- P(T) = C(T - 30 days)
    SELECT i.n, r.user_type, 'p', r.running
    FROM instants AS i
    JOIN running AS r ON r.at = i.k_c AND r.key = 'c'
),
sides AS (
    SELECT i.n,
           types.user_type,
           coalesce(max(c.running) FILTER (WHERE c.key = 'c'), 0) AS c,
           coalesce(max(c.running) FILTER (WHERE c.key = 'p'), 0) AS p,
           coalesce(max(c.running) FILTER (WHERE c.key = 'cp'), 0) AS cp,
           coalesce(max(c.running) FILTER (WHERE c.key = 'new'), 0) AS new
    FROM instants AS i
    CROSS JOIN (VALUES ('supplier'), ('couple')) AS types (user_type)
    LEFT JOIN counts AS c
        ON c.n = i.n AND c.user_type = types.user_type AND c.key IN ('c', 'p', 'cp', 'new')
    GROUP BY i.n, types.user_type
),
lifecycle AS (
    SELECT s.n, s.user_type, st.state, st.users::double precision AS users
    FROM sides AS s
    CROSS JOIN LATERAL (VALUES
        ('new', s.new),
        ('returning', s.c + s.p - s.cp),
        ('resurrected', s.cp - s.p - s.new),
        ('dormant', s.cp - s.c)
    ) AS st (state, users)
),
cohort_ratios AS (
    SELECT i.n,
           mc.user_type,
           substr(mc.key, 9) AS cohort,
           (coalesce(ac.running, 0)::numeric / mc.running)::double precision AS active_ratio
    FROM instants AS i
    JOIN counts AS mc ON mc.n = i.n AND mc.key LIKE 'members:%%' AND mc.running > 0
    LEFT JOIN counts AS ac
        ON ac.n = i.n AND ac.user_type = mc.user_type AND ac.key = 'active:' || substr(mc.key, 9)
    WHERE substr(mc.key, 9) BETWEEN i.cohort_first AND i.cohort_last
)
SELECT l.n, l.user_type, l.state, l.users, NULL::text AS cohort,
       NULL::double precision AS active_ratio
FROM lifecycle AS l
UNION ALL
SELECT r.n, r.user_type, NULL, NULL, r.cohort, r.active_ratio
FROM cohort_ratios AS r
ORDER BY 1, 2, 3, 5;
