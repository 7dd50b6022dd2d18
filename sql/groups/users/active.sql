-- Per user type and window: distinct users with a session created in (T - window, T].
WITH recent AS (
    SELECT s.user_type, s.user_id, s.created_at
    FROM valid_sessions AS s
    WHERE s.created_at > %(start_30d)s AND s.created_at <= %(t)s
)
SELECT types.user_type,
       count(DISTINCT r.user_id) FILTER (WHERE r.created_at > %(start_1d)s)::double precision
           AS active_1d,
       count(DISTINCT r.user_id) FILTER (WHERE r.created_at > %(start_7d)s)::double precision
           AS active_7d,
       count(DISTINCT r.user_id)::double precision AS active_30d
FROM (VALUES ('supplier'), ('couple')) AS types (user_type)
LEFT JOIN recent AS r ON r.user_type = types.user_type
GROUP BY types.user_type;
