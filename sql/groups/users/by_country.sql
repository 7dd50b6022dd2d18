-- Users existing at T by country, per user type: the top_n countries of each type keep
-- their code, the rest are summed as 'other'; a missing or blank country is 'unknown'
-- (label_buckets, label_value).
WITH existing AS (
    SELECT 'supplier' AS user_type, label_value(country) AS country
    FROM suppliers
    WHERE exists_at(created_at, deleted_at, %(t)s)
    UNION ALL
    SELECT 'couple', label_value(country)
    FROM couples
    WHERE exists_at(created_at, deleted_at, %(t)s)
),
per_country AS (
    SELECT user_type, country, count(*) AS users FROM existing GROUP BY user_type, country
),
buckets AS (
    SELECT a.user_type, b.*
    FROM (SELECT user_type, jsonb_object_agg(country, users) AS w FROM per_country GROUP BY 1) AS a
    CROSS JOIN LATERAL label_buckets(a.w, %(top_n)s) AS b
)
SELECT c.user_type,
       b.bucket AS country,
       sum(c.users)::double precision AS users
FROM per_country AS c
JOIN buckets AS b ON b.user_type = c.user_type AND b.label = c.country
GROUP BY 1, 2
ORDER BY 1, 2;
