-- Per user type and window: distinct users with a session created in (T - window, T].
-- Each user's latest session in the 30-day window decides the shorter windows too.
WITH last_seen AS (
    SELECT s.user_type, s.user_id, max(s.created_at) AS last_seen
    FROM valid_sessions AS s
    WHERE s.created_at > %(start_30d)s AND s.created_at <= %(t)s
    GROUP BY s.user_type, s.user_id
)
SELECT types.user_type,
       count(l.user_id) FILTER (WHERE l.last_seen > %(start_1d)s)::double precision AS active_1d,
       count(l.user_id) FILTER (WHERE l.last_seen > %(start_7d)s)::double precision AS active_7d,
       count(l.user_id)::double precision AS active_30d
FROM (VALUES ('supplier'), ('couple')) AS types (user_type)
LEFT JOIN last_seen AS l ON l.user_type = types.user_type
GROUP BY types.user_type;
