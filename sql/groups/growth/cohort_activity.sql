-- Activity cohorts by sign-up month (SPEC §6), per side: the users created in a local
-- calendar month [start, end) (one of the 12 before T's local month) and registered at
-- T; the share of them active in (T - 30 days, T]. A month without members has no row.
WITH cohorts AS (
    SELECT c.label, c.starts, c.ends
    FROM unnest(
        %(cohort_labels)s::text[], %(cohort_starts)s::timestamptz[], %(cohort_ends)s::timestamptz[]
    ) AS c (label, starts, ends)
),
registered AS (
    SELECT 'supplier'::text AS user_type, su.id, su.created_at
    FROM suppliers AS su
    WHERE su.created_at <= %(t)s AND (su.deleted_at IS NULL OR su.deleted_at > %(t)s)
      AND su.created_at >= (%(cohort_starts)s::timestamptz[])[1]
    UNION ALL
    SELECT 'couple'::text, co.id, co.created_at
    FROM couples AS co
    WHERE co.created_at <= %(t)s AND (co.deleted_at IS NULL OR co.deleted_at > %(t)s)
      AND co.created_at >= (%(cohort_starts)s::timestamptz[])[1]
),
active AS (
    SELECT DISTINCT s.user_type, s.user_id
    FROM valid_sessions AS s
    WHERE s.created_at > %(lifecycle_c_start)s AND s.created_at <= %(t)s
)
SELECT r.user_type,
       c.label AS cohort,
       (count(a.user_id)::numeric / count(*))::double precision AS active_ratio
FROM registered AS r
JOIN cohorts AS c ON r.created_at >= c.starts AND r.created_at < c.ends
LEFT JOIN active AS a ON a.user_type = r.user_type AND a.user_id = r.id
GROUP BY r.user_type, c.label
ORDER BY r.user_type, c.label;
