-- Growth accounting per side (SPEC §6) with C = (T - 30 days, T] and
-- P = (T - 60 days, T - 30 days]: among users active in C, returning if also active in
-- P, else new if created after T - 30 days, else resurrected; dormant: active in P and
-- not in C. Activity reads valid sessions only (deleted users' sessions included, as
-- for active users). A session whose user row is missing has no creation instant, so
-- its user is never "new": it is resurrected (docs/spec.md). Every state is exported,
-- 0 when empty.
WITH seen AS (
    SELECT s.user_type,
           s.user_id,
           bool_or(s.created_at > %(lifecycle_c_start)s) AS in_c,
           bool_or(s.created_at <= %(lifecycle_c_start)s) AS in_p
    FROM valid_sessions AS s
    WHERE s.created_at > %(lifecycle_p_start)s AND s.created_at <= %(t)s
    GROUP BY s.user_type, s.user_id
),
users AS (
    SELECT 'supplier'::text AS user_type, su.id, su.created_at FROM suppliers AS su
    UNION ALL
    SELECT 'couple'::text, co.id, co.created_at FROM couples AS co
),
classified AS (
    SELECT seen.user_type,
           CASE
               WHEN seen.in_c AND seen.in_p THEN 'returning'
               WHEN seen.in_c AND u.created_at > %(lifecycle_c_start)s THEN 'new'
               WHEN seen.in_c THEN 'resurrected'
               ELSE 'dormant'
           END AS state
    FROM seen
    LEFT JOIN users AS u ON u.user_type = seen.user_type AND u.id = seen.user_id
)
SELECT types.user_type,
       states.state,
       count(cl.state)::double precision AS users
FROM (VALUES ('supplier'), ('couple')) AS types (user_type)
CROSS JOIN (VALUES ('new'), ('returning'), ('resurrected'), ('dormant')) AS states (state)
LEFT JOIN classified AS cl ON cl.user_type = types.user_type AND cl.state = states.state
GROUP BY types.user_type, states.state
ORDER BY types.user_type, states.state;
