-- Users existing at T by country, per user type: the top_n countries of each type keep
-- their code, the rest are summed as 'other'; a missing country is 'unknown'.
WITH existing AS (
    SELECT 'supplier' AS user_type, coalesce(country, 'unknown') AS country
    FROM suppliers
    WHERE created_at <= %(t)s AND (deleted_at IS NULL OR deleted_at > %(t)s)
    UNION ALL
    SELECT 'couple', coalesce(country, 'unknown')
    FROM couples
    WHERE created_at <= %(t)s AND (deleted_at IS NULL OR deleted_at > %(t)s)
),
ranked AS (
    SELECT user_type, country, count(*) AS users,
           row_number() OVER (PARTITION BY user_type ORDER BY count(*) DESC, country) AS rank
    FROM existing
    GROUP BY user_type, country
)
SELECT user_type,
       CASE WHEN rank <= %(top_n)s THEN country ELSE 'other' END AS country,
       sum(users)::double precision AS users
FROM ranked
GROUP BY 1, 2
ORDER BY 1, 2;
