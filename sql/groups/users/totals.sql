-- Per user type: users existing at T (created at or before T, not deleted at T) and
-- sign-ups today (created from the start of T's local day to T).
SELECT 'supplier' AS user_type,
       count(*) FILTER (
           WHERE exists_at(created_at, deleted_at, %(t)s)
       )::double precision AS total,
       count(*) FILTER (
           WHERE created_at >= %(day_start)s AND created_at <= %(t)s
       )::double precision AS signups_today
FROM suppliers
UNION ALL
SELECT 'couple',
       count(*) FILTER (
           WHERE exists_at(created_at, deleted_at, %(t)s)
       )::double precision,
       count(*) FILTER (
           WHERE created_at >= %(day_start)s AND created_at <= %(t)s
       )::double precision
FROM couples;
