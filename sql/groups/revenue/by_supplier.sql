-- MRR(T) by supplier category and by supplier country, in one pass over the periods
-- live at T. Each dimension is bounded on its own (label_buckets: the top_n values by
-- MRR keep their name, the rest are 'other'; a missing or blank value is 'unknown').
-- A row carries one dimension: the other's columns are NULL (no series).
WITH live AS (
    SELECT label_value(su.category) AS category, label_value(su.country) AS country, p.mrr
    FROM subscription_periods AS p
    LEFT JOIN suppliers AS su ON su.id = p.supplier_id
    WHERE live_at(p.live_from, p.live_until, %(t)s)
),
per_value AS (
    SELECT 'category' AS dimension, category AS value, sum(mrr) AS mrr FROM live GROUP BY category
    UNION ALL
    SELECT 'country', country, sum(mrr) FROM live GROUP BY country
),
buckets AS (
    SELECT d.dimension, b.*
    FROM (SELECT dimension, jsonb_object_agg(value, mrr) AS w FROM per_value GROUP BY 1) AS d
    CROSS JOIN LATERAL label_buckets(d.w, %(top_n)s) AS b
),
bounded AS (
    SELECT v.dimension, b.bucket, sum(v.mrr)::double precision AS mrr
    FROM per_value AS v
    JOIN buckets AS b ON b.dimension = v.dimension AND b.label = v.value
    GROUP BY v.dimension, b.bucket
)
SELECT CASE WHEN dimension = 'category' THEN bucket END AS category,
       CASE WHEN dimension = 'category' THEN mrr END AS category_mrr,
       CASE WHEN dimension = 'country' THEN bucket END AS country,
       CASE WHEN dimension = 'country' THEN mrr END AS country_mrr
FROM bounded
ORDER BY dimension, bucket;
