-- Per supplier category (the top_n categories by suppliers existing at T keep their
-- name, the rest are 'other', a missing or blank category or a missing supplier row is
-- 'unknown'; label_buckets, label_value):
-- distinct suppliers active in each window, and suppliers signed up today.
-- Summed over categories, the actives equal execmetrics_active_users{user_type="supplier"}.
-- A category is listed at T when one of its suppliers was created by T or is active.
--
-- At every instant of a pass (docs/spec.md, "Many instants"): per category as stored
-- (NULL: no supplier row), the suppliers existing, created by T and created before T's
-- local day are running counts over time numbers, and the active suppliers are the
-- disjoint runs of numbers of users/active.sql; each instant then maps the stored
-- categories to its buckets.
WITH instants AS (
    SELECT i.n, i.k, i.k_day
    FROM unnest(%(n)s::integer[], %(k)s::integer[], %(k_day)s::integer[]) AS i (n, k, k_day)
),
suppliers_at AS (
    SELECT label_value(su.category) AS category,
           width_bucket(su.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
           CASE
               WHEN su.deleted_at IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
               ELSE width_bucket(su.deleted_at, %(sweep_edges)s::timestamptz[])
           END + 1 AS hi,
           count(*) AS w
    FROM suppliers AS su
    GROUP BY 1, 2, 3
),
per_stored AS (
    SELECT i.n,
           s.category,
           coalesce(sum(s.w) FILTER (WHERE s.lo <= i.k AND s.hi > i.k), 0) AS existing,
           coalesce(sum(s.w) FILTER (WHERE s.lo <= i.k), 0) AS created,
           coalesce(sum(s.w) FILTER (WHERE s.lo <= i.k), 0)
               - coalesce(sum(s.w) FILTER (WHERE s.lo <= i.k_day), 0) AS signups_today
    FROM instants AS i
    JOIN suppliers_at AS s ON s.lo <= i.k
    GROUP BY 1, 2
),
buckets AS (
    SELECT a.n, b.*
    FROM (
        SELECT n, jsonb_object_agg(category, existing) AS w
        FROM per_stored
        WHERE existing > 0
        GROUP BY 1
    ) AS a
    CROSS JOIN LATERAL label_buckets(a.w, %(top_n)s) AS b
),
runs AS (
    SELECT s.supplier_id,
           width_bucket(s.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS j,
           max(s.created_at) AS last
    FROM unnest(%(read_30d_from)s::timestamptz[], %(read_30d_to)s::timestamptz[]) AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
    WHERE s.supplier_id IS NOT NULL
    GROUP BY 1, 2
),
lagged AS (
    SELECT x.supplier_id,
           x.j,
           x.m1,
           x.m7,
           x.m30,
           coalesce(lag(x.m1) OVER w, 0) AS prev1,
           coalesce(lag(x.m7) OVER w, 0) AS prev7,
           coalesce(lag(x.m30) OVER w, 0) AS prev30
    FROM (
        SELECT r.supplier_id, r.j,
               width_bucket(r.last + interval '24 hours', %(sweep_edges)s::timestamptz[]) AS m1,
               width_bucket(r.last + interval '168 hours', %(sweep_edges)s::timestamptz[]) AS m7,
               width_bucket(r.last + interval '720 hours', %(sweep_edges)s::timestamptz[]) AS m30
        FROM runs AS r
    ) AS x
    WINDOW w AS (PARTITION BY x.supplier_id ORDER BY x.j)
),
pieces AS (
    SELECT label_value(su.category) AS category,
           su.id IS NOT NULL AS known,
           p.window_name, p.p_from, p.p_to, count(*) AS w
    FROM lagged AS l
    LEFT JOIN suppliers AS su ON su.id = l.supplier_id
    CROSS JOIN LATERAL (VALUES
        ('1d', greatest(l.j, l.prev1 + 1), l.m1),
        ('7d', greatest(l.j, l.prev7 + 1), l.m7),
        ('30d', greatest(l.j, l.prev30 + 1), l.m30)
    ) AS p (window_name, p_from, p_to)
    WHERE p.p_from <= p.p_to
    GROUP BY 1, 2, 3, 4, 5
),
active AS (
    SELECT i.n, p.category, p.known,
           coalesce(sum(p.w) FILTER (WHERE p.window_name = '1d'), 0) AS active_1d,
           coalesce(sum(p.w) FILTER (WHERE p.window_name = '7d'), 0) AS active_7d,
           coalesce(sum(p.w) FILTER (WHERE p.window_name = '30d'), 0) AS active_30d
    FROM instants AS i
    JOIN pieces AS p ON p.p_from <= i.k AND p.p_to >= i.k
    GROUP BY 1, 2, 3
),
-- Each stored category's bucket at each instant: its own when in the top_n, else
-- 'other' (a category no supplier existing at T has is outside the top_n); no supplier
-- row: 'unknown'.
rows AS (
    SELECT a.n,
           CASE WHEN a.known THEN coalesce(b.bucket, 'other') ELSE 'unknown' END AS category,
           a.active_1d, a.active_7d, a.active_30d, 0 AS signups_today, false AS created
    FROM active AS a
    LEFT JOIN buckets AS b ON b.n = a.n AND b.label = a.category AND a.known
    UNION ALL
    SELECT s.n, coalesce(b.bucket, 'other'), 0, 0, 0, s.signups_today, true
    FROM per_stored AS s
    LEFT JOIN buckets AS b ON b.n = s.n AND b.label = s.category
    WHERE s.created > 0
)
SELECT r.n,
       r.category,
       sum(r.active_1d)::double precision AS active_1d,
       sum(r.active_7d)::double precision AS active_7d,
       sum(r.active_30d)::double precision AS active_30d,
       sum(r.signups_today)::double precision AS signups_today
FROM rows AS r
GROUP BY 1, 2
HAVING bool_or(r.created) OR sum(r.active_30d) > 0
ORDER BY 1, 2;
