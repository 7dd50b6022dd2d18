-- Average session duration (SPEC §3): mean of min(duration, cap) over sessions created
-- in (engagement_start, T] with a duration above zero; open sessions (NULL) are left
-- out. NULL (the series is absent) when there is no such session.
SELECT avg(least(s.session_duration, %(session_cap)s))::double precision AS average_seconds
FROM valid_sessions AS s
WHERE s.created_at > %(engagement_start)s AND s.created_at <= %(t)s
  AND s.session_duration > 0;
