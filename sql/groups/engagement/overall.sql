-- Average session duration (SPEC §3): mean of min(duration, cap) over sessions created
-- in (engagement_start, T] with a duration above zero; open sessions (NULL) are left
-- out. NULL (the series is absent) when there is no such session.
--
-- At every instant of a pass (docs/spec.md, "Many instants"): the sessions are summed
-- per time number (width_bucket(created_at, sweep_edges) + 1, the first time at or after
-- them); the window of an instant holds the numbers after its k_engagement up to its k.
-- The mean is the sum over the count, as avg() computes it.
WITH instants AS (
    SELECT i.n, i.k, i.k_engagement
    FROM unnest(%(n)s::integer[], %(k)s::integer[], %(k_engagement)s::integer[])
        AS i (n, k, k_engagement)
),
binned AS (
    SELECT width_bucket(s.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS at,
           sum(least(s.session_duration, %(session_cap)s)) AS total,
           count(*) AS sessions
    FROM unnest(%(read_engagement_from)s::timestamptz[], %(read_engagement_to)s::timestamptz[])
        AS rd (lo, hi)
    JOIN valid_sessions AS s ON s.created_at > rd.lo AND s.created_at <= rd.hi
    WHERE s.session_duration > 0
    GROUP BY 1
)
SELECT i.n,
       (sum(b.total) / nullif(sum(b.sessions), 0))::double precision AS average_seconds
FROM instants AS i
LEFT JOIN binned AS b ON b.at > i.k_engagement AND b.at <= i.k
GROUP BY i.n
ORDER BY i.n;
