-- Per user type: users existing at T (created at or before T, not deleted at T) and
-- sign-ups today (created from the start of T's local day to T).
--
-- At every instant of a pass (docs/spec.md, "Many instants"): a user is created at the
-- times numbered from (times before created_at) + 1 on and exists until (times before
-- deleted_at); sign-ups today are the users created by T's number less those created by
-- the last microsecond before its local day (k_day).
WITH instants AS (
    SELECT i.n, i.k, i.k_day
    FROM unnest(%(n)s::integer[], %(k)s::integer[], %(k_day)s::integer[]) AS i (n, k, k_day)
),
users AS (
    SELECT 1 AS position, 'supplier' AS user_type, created_at, deleted_at FROM suppliers
    UNION ALL
    SELECT 2, 'couple', created_at, deleted_at FROM couples
),
weighted AS (
    SELECT x.position, x.user_type, x.lo, greatest(x.lo, x.hi) AS hi, count(*) AS w
    FROM (
        SELECT u.position,
               u.user_type,
               width_bucket(u.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
               CASE
                   WHEN u.deleted_at IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
                   ELSE width_bucket(u.deleted_at, %(sweep_edges)s::timestamptz[])
               END + 1 AS hi
        FROM users AS u
    ) AS x
    GROUP BY 1, 2, 3, 4
)
SELECT i.n,
       types.user_type,
       coalesce(sum(w.w) FILTER (WHERE w.lo <= i.k AND w.hi > i.k), 0)::double precision AS total,
       (coalesce(sum(w.w) FILTER (WHERE w.lo <= i.k), 0)
        - coalesce(sum(w.w) FILTER (WHERE w.lo <= i.k_day), 0))::double precision AS signups_today
FROM instants AS i
CROSS JOIN (VALUES (1, 'supplier'), (2, 'couple')) AS types (position, user_type)
LEFT JOIN weighted AS w ON w.position = types.position
GROUP BY i.n, types.position, types.user_type
ORDER BY i.n, types.position;
