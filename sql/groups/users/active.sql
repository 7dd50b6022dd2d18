-- Per user type and window: distinct users with a session created in (T - window, T].
-- Each user's latest session in the 30-day window decides the shorter windows too.
-- Users are grouped by (supplier_id, couple_id), exactly one of them set.
WITH last_seen AS (
    SELECT s.supplier_id, s.couple_id, max(s.created_at) AS last_seen
    FROM valid_sessions AS s
    WHERE s.created_at > %(start_30d)s AND s.created_at <= %(t)s
    GROUP BY s.supplier_id, s.couple_id
),
per_type AS (
    SELECT CASE WHEN l.supplier_id IS NOT NULL THEN 'supplier' ELSE 'couple' END AS user_type,
           count(*) FILTER (WHERE l.last_seen > %(start_1d)s) AS active_1d,
           count(*) FILTER (WHERE l.last_seen > %(start_7d)s) AS active_7d,
           count(*) AS active_30d
    FROM last_seen AS l
    GROUP BY 1
)
SELECT types.user_type,
       coalesce(p.active_1d, 0)::double precision AS active_1d,
       coalesce(p.active_7d, 0)::double precision AS active_7d,
       coalesce(p.active_30d, 0)::double precision AS active_30d
FROM (VALUES ('supplier'), ('couple')) AS types (user_type)
LEFT JOIN per_type AS p ON p.user_type = types.user_type;
