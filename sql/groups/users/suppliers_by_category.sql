-- Per supplier category (the top_n categories by suppliers existing at T keep their
-- name, the rest are 'other', a missing or blank category or a missing supplier row is
-- 'unknown'; label_buckets, label_value):
-- distinct suppliers active in each window, and suppliers signed up today.
-- Summed over categories, the actives equal execmetrics_active_users{user_type="supplier"}.
WITH per_category AS (
    SELECT label_value(category) AS category, count(*) AS suppliers
    FROM suppliers
    WHERE exists_at(created_at, deleted_at, %(t)s)
    GROUP BY 1
),
buckets AS (
    SELECT *
    FROM label_buckets((SELECT jsonb_object_agg(category, suppliers) FROM per_category), %(top_n)s)
),
supplier_category AS (
    SELECT su.id,
           su.created_at,
           -- a category no supplier existing at T has is outside the top_n
           coalesce(b.bucket, 'other') AS category
    FROM suppliers AS su
    LEFT JOIN buckets AS b ON b.label = label_value(su.category)
),
last_seen AS (
    SELECT s.supplier_id AS user_id, max(s.created_at) AS last_seen
    FROM valid_sessions AS s
    WHERE s.supplier_id IS NOT NULL
      AND s.created_at > %(start_30d)s AND s.created_at <= %(t)s
    GROUP BY s.supplier_id
),
active AS (
    SELECT coalesce(sc.category, 'unknown') AS category,
           count(*) FILTER (WHERE l.last_seen > %(start_1d)s) AS active_1d,
           count(*) FILTER (WHERE l.last_seen > %(start_7d)s) AS active_7d,
           count(*) AS active_30d
    FROM last_seen AS l
    LEFT JOIN supplier_category AS sc ON sc.id = l.user_id
    GROUP BY 1
),
signups AS (
    SELECT category,
           count(*) FILTER (WHERE created_at >= %(day_start)s) AS signups_today
    FROM supplier_category
    WHERE created_at <= %(t)s
    GROUP BY 1
)
SELECT coalesce(a.category, s.category) AS category,
       coalesce(a.active_1d, 0)::double precision AS active_1d,
       coalesce(a.active_7d, 0)::double precision AS active_7d,
       coalesce(a.active_30d, 0)::double precision AS active_30d,
       coalesce(s.signups_today, 0)::double precision AS signups_today
FROM active AS a
FULL JOIN signups AS s ON s.category = a.category
ORDER BY 1;
