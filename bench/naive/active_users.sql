-- Active users by side and window: distinct ids with a session in (T - window, T].
SELECT 'supplier' AS user_type, w.name AS "window", count(DISTINCT s.supplier_id) AS active_users
FROM (VALUES ('1d', interval '1 day'), ('7d', interval '7 days'), ('30d', interval '30 days')) AS w (name, span)
JOIN user_sessions AS s
  ON s.created_at > %(at)s::timestamptz - w.span AND s.created_at <= %(at)s::timestamptz
WHERE s.supplier_id IS NOT NULL AND s.couple_id IS NULL
GROUP BY w.name
UNION ALL
SELECT 'couple', w.name, count(DISTINCT s.couple_id)
FROM (VALUES ('1d', interval '1 day'), ('7d', interval '7 days'), ('30d', interval '30 days')) AS w (name, span)
JOIN user_sessions AS s
  ON s.created_at > %(at)s::timestamptz - w.span AND s.created_at <= %(at)s::timestamptz
WHERE s.couple_id IS NOT NULL AND s.supplier_id IS NULL
GROUP BY w.name
