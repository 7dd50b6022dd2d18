-- Users existing at T by country, per user type: the top_n countries of each type keep
-- their code, the rest are summed as 'other'; a missing or blank country is 'unknown'
-- (label_buckets, label_value). At every instant of a pass (docs/spec.md, "Many
-- instants"): a user exists at the instants numbered from (times before created_at) + 1
-- to (times before deleted_at), [created_at, deleted_at) holding T; each count at an
-- instant is a running sum of +1 and -1 up to its number.
WITH instants AS (
    SELECT i.n, i.k FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
users AS (
    SELECT 'supplier' AS user_type, label_value(country) AS country, created_at, deleted_at
    FROM suppliers
    UNION ALL
    SELECT 'couple', label_value(country), created_at, deleted_at
    FROM couples
),
spans AS (
    SELECT u.user_type,
           u.country,
           width_bucket(u.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
           CASE
               WHEN u.deleted_at IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
               ELSE width_bucket(u.deleted_at, %(sweep_edges)s::timestamptz[])
           END + 1 AS hi
    FROM users AS u
),
weighted AS (
    SELECT sp.user_type, sp.country, sp.lo, greatest(sp.lo, sp.hi) AS hi, count(*) AS w
    FROM spans AS sp
    GROUP BY 1, 2, 3, 4
),
binned AS (
    SELECT wt.user_type, wt.country, e.at, sum(e.delta) AS delta
    FROM weighted AS wt
    CROSS JOIN LATERAL (VALUES (wt.lo, wt.w), (wt.hi, -wt.w)) AS e (at, delta)
    GROUP BY 1, 2, 3
),
per_country AS (
    SELECT i.n, b.user_type, b.country, sum(b.delta) AS users
    FROM instants AS i
    JOIN binned AS b ON b.at <= i.k
    GROUP BY 1, 2, 3
    HAVING sum(b.delta) > 0
),
buckets AS (
    SELECT a.n, a.user_type, b.*
    FROM (
        SELECT n, user_type, jsonb_object_agg(country, users) AS w
        FROM per_country
        GROUP BY 1, 2
    ) AS a
    CROSS JOIN LATERAL label_buckets(a.w, %(top_n)s) AS b
)
SELECT c.n,
       c.user_type,
       b.bucket AS country,
       sum(c.users)::double precision AS users
FROM per_country AS c
JOIN buckets AS b ON b.n = c.n AND b.user_type = c.user_type AND b.label = c.country
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
