-- Sign-ups of one reporting month per user type: users created from the local
-- midnight that starts the month (%(start)s, included) to the one that ends it
-- (%(end)s, excluded), so consecutive months never count a user twice.
SELECT 'supplier' AS user_type,
       count(*) FILTER (
           WHERE created_at >= %(start)s AND created_at < %(end)s
       )::double precision AS signups
FROM suppliers
UNION ALL
SELECT 'couple',
       count(*) FILTER (
           WHERE created_at >= %(start)s AND created_at < %(end)s
       )::double precision
FROM couples;
