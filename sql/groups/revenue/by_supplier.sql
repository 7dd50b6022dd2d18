-- MRR(T) by supplier category and by supplier country, in one pass over the periods live
-- at T. Each dimension is bounded on its own (label_buckets: the top_n values by MRR keep
-- their name, the rest are 'other'; a missing or blank value is 'unknown'). A row
-- carries one dimension: the other's columns are NULL (no series).
--
-- At every instant of a pass (docs/spec.md, "Many instants"): a period is live at the
-- instants numbered from (times before live_from) + 1 to (times before live_until); per
-- value, its MRR and its number of live periods at an instant are running sums up to
-- the instant's number (a value is present while one of its periods is live, even at
-- an MRR of 0).
WITH instants AS (
    SELECT i.n, i.k FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
live AS (
    SELECT label_value(su.category) AS category,
           label_value(su.country) AS country,
           p.mrr,
           width_bucket(p.live_from, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
           CASE
               WHEN p.live_until IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
               ELSE width_bucket(p.live_until, %(sweep_edges)s::timestamptz[])
           END + 1 AS hi
    FROM subscription_periods AS p
    LEFT JOIN suppliers AS su ON su.id = p.supplier_id
),
spans AS (
    SELECT 'category' AS dimension, l.category AS value, l.lo, l.hi, sum(l.mrr) AS mrr,
           count(*) AS periods
    FROM live AS l
    WHERE l.lo < l.hi
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT 'country', l.country, l.lo, l.hi, sum(l.mrr), count(*)
    FROM live AS l
    WHERE l.lo < l.hi
    GROUP BY 1, 2, 3, 4
),
binned AS (
    SELECT sp.dimension, sp.value, e.at, sum(e.mrr) AS mrr, sum(e.periods) AS periods
    FROM spans AS sp
    CROSS JOIN LATERAL (VALUES (sp.lo, sp.mrr, sp.periods), (sp.hi, -sp.mrr, -sp.periods))
        AS e (at, mrr, periods)
    GROUP BY 1, 2, 3
),
per_value AS (
    SELECT i.n, b.dimension, b.value, sum(b.mrr) AS mrr
    FROM instants AS i
    JOIN binned AS b ON b.at <= i.k
    GROUP BY 1, 2, 3
    HAVING sum(b.periods) > 0
),
buckets AS (
    SELECT d.n, d.dimension, b.*
    FROM (
        SELECT n, dimension, jsonb_object_agg(value, mrr) AS w FROM per_value GROUP BY 1, 2
    ) AS d
    CROSS JOIN LATERAL label_buckets(d.w, %(top_n)s) AS b
),
bounded AS (
    SELECT v.n, v.dimension, b.bucket, sum(v.mrr)::double precision AS mrr
    FROM per_value AS v
    JOIN buckets AS b ON b.n = v.n AND b.dimension = v.dimension AND b.label = v.value
    GROUP BY v.n, v.dimension, b.bucket
)
SELECT n,
       CASE WHEN dimension = 'category' THEN bucket END AS category,
       CASE WHEN dimension = 'category' THEN mrr END AS category_mrr,
       CASE WHEN dimension = 'country' THEN bucket END AS country,
       CASE WHEN dimension = 'country' THEN mrr END AS country_mrr
FROM bounded
ORDER BY n, dimension, bucket;
