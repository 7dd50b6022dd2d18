-- The average session duration of overall.sql, per side; absent for a side with no
-- qualifying session. At every instant of a pass, as overall.sql.
WITH instants AS (
    SELECT i.n, i.k, i.k_engagement
    FROM unnest(%(n)s::integer[], %(k)s::integer[], %(k_engagement)s::integer[])
        AS i (n, k, k_engagement)
),
binned AS (
    SELECT s.user_type,
           width_bucket(s.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS at,
           sum(least(s.session_duration, %(session_cap)s)) AS total,
           count(*) AS sessions
    FROM unnest(%(read_engagement_from)s::timestamptz[], %(read_engagement_to)s::timestamptz[])
        AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
    WHERE s.session_duration > 0
    GROUP BY 1, 2
)
SELECT i.n,
       b.user_type,
       (sum(b.total) / sum(b.sessions))::double precision AS average_seconds
FROM instants AS i
JOIN binned AS b ON b.at > i.k_engagement AND b.at <= i.k
GROUP BY i.n, b.user_type
ORDER BY i.n, b.user_type;
