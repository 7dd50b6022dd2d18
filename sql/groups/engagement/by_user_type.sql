-- The average session duration of overall.sql, per side; absent for a side with no
-- qualifying session.
SELECT s.user_type,
       avg(least(s.session_duration, %(session_cap)s))::double precision AS average_seconds
FROM valid_sessions AS s
WHERE s.created_at > %(engagement_start)s AND s.created_at <= %(t)s
  AND s.session_duration > 0
GROUP BY s.user_type
ORDER BY s.user_type;
