-- Per supplier category (top_n by suppliers existing at T, the rest as 'other'):
-- distinct suppliers active in each window, and suppliers signed up today.
WITH categories AS (
    SELECT su.id,
           coalesce(su.category, 'unknown') AS category,
           su.created_at
    FROM suppliers AS su
),
ranked AS (
    SELECT category,
           row_number() OVER (ORDER BY count(*) DESC, category) AS rank
    FROM categories
    WHERE created_at <= %(t)s
    GROUP BY category
),
labelled AS (
    SELECT c.id, c.created_at,
           CASE WHEN r.rank <= %(top_n)s THEN c.category ELSE 'other' END AS category
    FROM categories AS c
    LEFT JOIN ranked AS r ON r.category = c.category
),
active AS (
    SELECT l.category, s.user_id, s.created_at
    FROM valid_sessions AS s
    JOIN labelled AS l ON l.id = s.user_id
    WHERE s.user_type = 'supplier' AND s.created_at > %(start_30d)s AND s.created_at <= %(t)s
)
SELECT l.category,
       (SELECT count(DISTINCT a.user_id) FROM active AS a
        WHERE a.category = l.category AND a.created_at > %(start_1d)s)::double precision
           AS active_1d,
       (SELECT count(DISTINCT a.user_id) FROM active AS a
        WHERE a.category = l.category AND a.created_at > %(start_7d)s)::double precision
           AS active_7d,
       (SELECT count(DISTINCT a.user_id) FROM active AS a
        WHERE a.category = l.category)::double precision AS active_30d,
       count(*) FILTER (
           WHERE l.created_at >= %(day_start)s AND l.created_at <= %(t)s
       )::double precision AS signups_today
FROM labelled AS l
WHERE l.created_at <= %(t)s
GROUP BY l.category
ORDER BY l.category;
